package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The one tool-prefix rule (the CRD's pattern, the controller, the standalone file and the published config all use
 * {@link ServerEntry#PREFIX_PATTERN}), held against a plain statement of it over random strings.
 */
class PrefixRuleTest {

    private static final String ALPHABET = "abcxyz019ABZ_-.:/ ";

    /** The rule in words: lower-case letters, digits and _, not starting with _, 1 to 32 characters. */
    private static boolean byHand(String s) {
        if (s.isEmpty() || s.length() > 32 || s.charAt(0) == '_') {
            return false;
        }
        for (char c : s.toCharArray()) {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return false;
            }
        }
        return true;
    }

    @Test
    void theRuleIsTheCrdPatternWithItsLengthLimit() {
        SplittableRandom random = new SplittableRandom(20261204L);
        for (int i = 0; i < 20_000; i++) {
            int length = 1 + random.nextInt(36);
            StringBuilder b = new StringBuilder();
            for (int j = 0; j < length; j++) {
                b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            String prefix = b.toString();
            assertEquals(byHand(prefix), ServerEntry.validPrefix(prefix), prefix);
            if (byHand(prefix)) {
                ServerEntry.checkPrefix(prefix);
            } else {
                assertThrows(ConfigValidationException.class, () -> ServerEntry.checkPrefix(prefix), prefix);
            }
        }
    }

    @Test
    void noPrefixIsAllowedWhereThePrefixModeAllowsIt() {
        ServerEntry.checkPrefix(null);
        ServerEntry.checkPrefix("");
    }
}

package dev.manifold.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the aggregating broker names a backend's tools, prompts and resources.
 * <ul>
 *   <li>{@code always}: every name gets its server's {@code toolPrefix};</li>
 *   <li>{@code never}: names are passed through unchanged (collisions are resolved deterministically);</li>
 *   <li>{@code conditional}: a name is prefixed only when it would collide with another server's name.</li>
 * </ul>
 */
public enum PrefixMode {
    ALWAYS, NEVER, CONDITIONAL;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static PrefixMode fromWire(String value) {
        for (PrefixMode mode : values()) {
            if (mode.wireName().equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown prefixMode '" + value + "', expected one of "
                + Arrays.stream(values()).map(PrefixMode::wireName).collect(Collectors.joining(", ")));
    }
}

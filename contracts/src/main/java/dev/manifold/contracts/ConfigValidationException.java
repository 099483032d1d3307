package dev.manifold.contracts;

/**
 * A config document that must not be applied. The message names the offending field (and, where the
 * parser knows it, the line and column) so an operator can fix it without reading code.
 */
public class ConfigValidationException extends RuntimeException {
    private final String field;

    public ConfigValidationException(String field, String problem) {
        super(field == null || field.isEmpty() ? problem : field + ": " + problem);
        this.field = field;
    }

    public ConfigValidationException(String field, String problem, Throwable cause) {
        super(field == null || field.isEmpty() ? problem : field + ": " + problem, cause);
        this.field = field;
    }

    /** The path of the offending field, such as {@code servers[2].toolPrefix}; may be empty. */
    public String field() {
        return field;
    }
}

package dev.manifold.controller.api.v1alpha1;

/** Reasons the controller puts on MCPServer conditions; tools and tests match on these. */
public final class ConditionReasons {
    public static final String ACCEPTED = "Accepted";
    public static final String DISABLED = "Disabled";
    public static final String INVALID_SPEC = "InvalidSpec";
    public static final String PREFIX_CONFLICT = "PrefixConflict";
    public static final String NO_CONFLICT = "NoConflict";
    public static final String NOT_ACCEPTED = "NotAccepted";
    public static final String AWAITING_HEALTH = "AwaitingHealth";

    private ConditionReasons() {
    }
}

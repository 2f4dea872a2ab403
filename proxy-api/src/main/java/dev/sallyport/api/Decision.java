package dev.sallyport.api;

import java.util.Objects;

/**
 * The verdict of an {@link AccessRule}.
 *
 * @param verdict ALLOW, DENY or ABSTAIN
 * @param reason  why, for logs and {@code explain} (never a credential); empty for ABSTAIN
 */
public record Decision(Verdict verdict, String reason) {

    private static final Decision ALLOW = new Decision(Verdict.ALLOW, "allowed");
    private static final Decision ABSTAIN = new Decision(Verdict.ABSTAIN, "");

    /**
     * Checks that no component is null.
     *
     * @param verdict ALLOW, DENY or ABSTAIN
     * @param reason why, for logs and {@code explain} (never a credential); empty for ABSTAIN
     */
    public Decision {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * The request may proceed.
     *
     * @return an allowing decision
     */
    public static Decision allow() {
        return ALLOW;
    }

    /**
     * The request may proceed; {@code reason} says which rule allowed it.
     *
     * @param reason the allowing rule's name or reason
     * @return an allowing decision
     */
    public static Decision allow(String reason) {
        return new Decision(Verdict.ALLOW, reason);
    }

    /**
     * The request is refused for {@code reason}.
     *
     * @param reason the reason, shown in logs and the access log
     * @return a denying decision
     */
    public static Decision deny(String reason) {
        return new Decision(Verdict.DENY, reason);
    }

    /**
     * This rule has no opinion; the next rule decides.
     *
     * @return the abstaining decision
     */
    public static Decision abstain() {
        return ABSTAIN;
    }

    /** The three possible verdicts. */
    public enum Verdict {
        /** The request may proceed. */
        ALLOW,
        /** The request is refused. */
        DENY,
        /** No opinion; the next rule decides. */
        ABSTAIN
    }
}

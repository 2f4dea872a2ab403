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

    public Decision {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
    }

    /** The request may proceed. */
    public static Decision allow() {
        return ALLOW;
    }

    /** The request may proceed; {@code reason} says which rule allowed it. */
    public static Decision allow(String reason) {
        return new Decision(Verdict.ALLOW, reason);
    }

    /** The request is refused for {@code reason}. */
    public static Decision deny(String reason) {
        return new Decision(Verdict.DENY, reason);
    }

    /** This rule has no opinion; the next rule decides. */
    public static Decision abstain() {
        return ABSTAIN;
    }

    /** The three possible verdicts. */
    public enum Verdict { ALLOW, DENY, ABSTAIN }
}

package dev.sallyport.core.spi;

import dev.sallyport.api.Outcome;

import java.util.Objects;

/**
 * Why core refused or could not complete a session step. The message carries context for logs
 * (protocol, client, target, rule), never a credential.
 */
public final class SessionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Outcome outcome;
    /** The rule or limit that refused the session, or {@code null}. */
    private final String rule;

    /**
     * @param outcome what happened, for the wire reply
     * @param rule    the rule or limit that decided, or {@code null}
     * @param message context for logs
     * @param cause   the underlying failure, or {@code null}
     */
    public SessionException(Outcome outcome, String rule, String message, Throwable cause) {
        super(message, cause, false, false);
        this.outcome = Objects.requireNonNull(outcome, "outcome");
        this.rule = rule;
    }

    /**
     * What happened.
     *
     * @return the outcome
     */
    public Outcome outcome() {
        return outcome;
    }

    /**
     * The rule or limit that refused the session, or {@code null}.
     *
     * @return the rule's name, or {@code null}
     */
    public String rule() {
        return rule;
    }

    /**
     * The outcome a failed session future carries: the {@link SessionException}'s own, and
     * {@link Outcome#ERROR} for any other failure (a bug or a broken backend, never a verdict).
     *
     * @param failure the failure
     * @return its outcome
     */
    public static Outcome outcomeOf(Throwable failure) {
        return failure instanceof SessionException e ? e.outcome() : Outcome.ERROR;
    }
}

package dev.sallyport.api;

import java.util.Objects;

/** The answer of an {@link AuthBackend}: success, failure, or "not mine" (ask the next backend). */
public sealed interface AuthResult {

    /**
     * The credentials are valid and identify {@code principal}.
     *
     * @param principal the authenticated user
     * @return a success
     */
    static AuthResult success(Principal principal) {
        return new Success(principal);
    }

    /**
     * The credentials are wrong, or the user may not log in. The reason goes to logs and metrics
     * (keep it short and bounded, e.g. {@code bad_password}); the client never sees it.
     *
     * @param reason a short, bounded reason, never a secret
     * @return a failure
     */
    static AuthResult failure(String reason) {
        return new Failure(reason);
    }

    /**
     * This backend does not know the user; core asks the next backend.
     *
     * @return the result that passes the credentials to the next backend
     */
    static AuthResult notMine() {
        return NotMine.INSTANCE;
    }

    /** A successful login. */
    record Success(Principal principal) implements AuthResult {
        /**
         * Checks that {@code principal} is not null.
         *
         * @param principal the authenticated user
         */
        public Success {
            Objects.requireNonNull(principal, "principal");
        }
    }

    /** A refused login, with a short reason for logs and metrics. */
    record Failure(String reason) implements AuthResult {
        /**
         * Checks that {@code reason} is not null.
         *
         * @param reason a short, bounded reason, never a secret
         */
        public Failure {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The backend does not know these credentials. */
    enum NotMine implements AuthResult {
        /** The one instance. */
        INSTANCE
    }
}

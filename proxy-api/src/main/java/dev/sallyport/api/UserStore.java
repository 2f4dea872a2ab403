package dev.sallyport.api;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Manages users: the in-memory default and the JDBC store implement it, and
 * {@code ProxyManager.users()} and the command line use it.
 *
 * <p>Every method returns without blocking; failures complete the stage exceptionally
 * ({@link IllegalArgumentException} for an unknown or duplicate name, naming it).
 */
public interface UserStore {

    /**
     * Creates a user with a generated password and token.
     *
     * @param name   the new user's name (1 to 255 bytes of UTF-8, no control characters)
     * @param limits the user's limits
     * @return completes with the generated password and token, shown once
     */
    default CompletionStage<NewCredentials> create(String name, Limits limits) {
        return create(name, null, limits);
    }

    /**
     * Creates a user.
     *
     * @param name     the new user's name (1 to 255 bytes of UTF-8, no control characters)
     * @param password the password, or {@code null} to generate one
     * @param limits   the user's limits
     * @return completes with the credentials (the given password and a generated token)
     */
    CompletionStage<NewCredentials> create(String name, String password, Limits limits);

    /**
     * All users, ordered by name.
     *
     * @return completes with the users
     */
    CompletionStage<List<User>> list();

    /**
     * The user with this name, if any.
     *
     * @param name the user's name
     * @return completes with the user, or empty
     */
    CompletionStage<Optional<User>> find(String name);

    /**
     * Replaces a user's limits; open sessions follow the new limits.
     *
     * @param name the user's name
     * @param limits the new limits
     * @return completes with the updated user
     */
    CompletionStage<User> update(String name, Limits limits);

    /**
     * Enables or disables a user; disabling refuses new sessions and closes the open ones.
     *
     * @param name the user's name
     * @param enabled false to disable
     * @return completes with the updated user
     */
    CompletionStage<User> enable(String name, boolean enabled);

    /**
     * Issues a new password and token; the old ones stop working, and the sessions opened with
     * them are closed.
     *
     * @param name the user's name
     * @return completes with the new password and token
     */
    CompletionStage<NewCredentials> rotate(String name);

    /**
     * Deletes a user; returns whether it existed.
     *
     * @param name the user's name
     * @return completes with whether the user existed
     */
    CompletionStage<Boolean> delete(String name);

    /**
     * Registers a listener told the name of every user that changes (limits, state, secrets,
     * deletion), so caches and open sessions can follow. Listeners must be fast and not throw.
     *
     * @param listener the listener
     */
    default void addListener(Listener listener) {
    }

    /** Told about every change of a user. */
    @FunctionalInterface
    interface Listener {
        /**
         * The user called {@code name} changed or was deleted.
         *
         * @param name the user's name
         */
        void userChanged(String name);

        /**
         * The user's password and token were replaced. Sessions whose principal carries a
         * {@link Principal#CREDENTIAL_VERSION} lower than {@code version}, or none, were opened
         * with the old ones. The default calls {@link #userChanged}.
         *
         * @param name    the user's name
         * @param version the credential version of the new password and token
         */
        default void credentialsChanged(String name, long version) {
            userChanged(name);
        }

        /**
         * Changes may have been missed (for example, a lost connection to the database came
         * back): every user may have changed. The default does nothing.
         */
        default void everythingChanged() {
        }
    }
}

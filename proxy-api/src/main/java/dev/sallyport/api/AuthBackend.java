package dev.sallyport.api;

import java.util.concurrent.CompletionStage;

/**
 * Checks credentials. Backends form a chain: the first one that answers with success or failure
 * decides; {@link AuthResult#notMine()} passes the credentials on; if every backend passes, the
 * login fails.
 *
 * <p>Threading: called on a network event loop. Never block it: return a completed stage for
 * in-memory work, and run database or network calls on an executor of your own. Core resumes on
 * the event loop. An exception or an exceptionally completed stage fails the login closed.
 */
@FunctionalInterface
public interface AuthBackend {

    /**
     * Checks {@code credentials} presented by the client described in {@code context}.
     *
     * @param credentials what the client presented
     * @param context the client, listener and protocol
     * @return completes with the result; it may complete on any thread
     */
    CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context);

    /**
     * A short name for logs; by default the simple class name.
     *
     * @return the backend's name
     */
    default String name() {
        return getClass().getSimpleName();
    }
}

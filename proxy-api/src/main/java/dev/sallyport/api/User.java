package dev.sallyport.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A stored user as a {@link UserStore} reports it; secrets are never part of it.
 *
 * @param name    the unique user name
 * @param limits  the user's limits
 * @param enabled whether the user may log in
 * @param created when the user was created
 * @param updated when the user was last changed
 */
public record User(String name, Limits limits, boolean enabled, Instant created, Instant updated) {
    /**
     * Checks that no component is null.
     *
     * @param name the unique user name
     * @param limits the user's limits
     * @param enabled whether the user may log in
     * @param created when the user was created
     * @param updated when the user was last changed
     */
    public User {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(updated, "updated");
    }
}

package dev.sallyport.core.internal.policy;

import dev.sallyport.api.User;
import dev.sallyport.api.UserStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * What a running manager does when its user store reports a change: forget the user's cached
 * logins, then re-read the user and close (disabled, deleted) or re-shape (limits) their open
 * sessions; after a rotation, close the sessions opened with the old credentials. Every step is
 * idempotent, so a change reported twice (by the store that made it and again by a database
 * notification) does no harm. Called on the store's threads; the re-read completes on them too.
 */
public final class UserChanges implements UserStore.Listener {

    private static final Logger log = LoggerFactory.getLogger(UserChanges.class);

    private final UserStore users;
    private final AuthChain auth;
    private final UserLimits limits;

    public UserChanges(UserStore users, AuthChain auth, UserLimits limits) {
        this.users = users;
        this.auth = auth;
        this.limits = limits;
    }

    @Override
    public void userChanged(String name) {
        auth.userChanged(name);
        recheck(name);
    }

    @Override
    public void credentialsChanged(String name, long version) {
        auth.credentialsChanged(name, version);
        limits.revokeIf(name, "credentials rotated", principal -> auth.credentialVersion(principal) < version);
        // The same change may have touched the limits or the state too.
        recheck(name);
    }

    @Override
    public void everythingChanged() {
        auth.invalidateAll();
        for (String name : limits.usersWithSessions()) {
            recheck(name);
        }
    }

    /** Re-reads {@code name} when they have open sessions (without, forgetting their logins was all). */
    private void recheck(String name) {
        if (!limits.hasSessions(name)) {
            return;
        }
        users.find(name).whenComplete((user, error) -> {
            if (error != null) {
                log.warn("Cannot re-read user {} after a change; their open sessions keep their limits",
                        AuthChain.printableUser(name), error);
            } else {
                apply(name, user);
            }
        });
    }

    private void apply(String name, Optional<User> user) {
        if (user.isEmpty() || !user.get().enabled()) {
            limits.revoke(name, user.isEmpty() ? "user deleted" : "user disabled");
        } else {
            limits.update(name, user.get().limits());
        }
    }

    @Override
    public String toString() {
        return "UserChanges";
    }
}

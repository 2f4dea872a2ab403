package dev.sallyport.core.internal.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When each user last changed (disabled, deleted, edited: {@code userChanged}), on a logical
 * clock, so that a login check that started before the change cannot succeed after it: its
 * answer was read from the user as they were. Credential changes and new users are not stamped:
 * their version floor already refuses stale answers, and a new user's notice may arrive while
 * their first login is checked. A store that announces deletes or disables only as {@code userChanged}
 * (PostgreSQL's notifications) gives no credential version to compare; this covers every store.
 * A stamp is kept for 10 minutes, far longer than any check may wait or run.
 */
final class ChangeStamps {

    private final AtomicLong clock = new AtomicLong();
    private final Cache<String, Long> changed = Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(10)).build();

    /** The stamp a check takes when it starts. */
    long now() {
        return clock.get();
    }

    void changed(String user) {
        changed.put(user, clock.incrementAndGet());
    }

    /** Whether {@code user} changed after {@code stamp} was taken. */
    boolean changedSince(String user, long stamp) {
        Long at = changed.getIfPresent(user);
        return at != null && at > stamp;
    }
}

package dev.sallyport.auth.jdbc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One log line per change of the database's state as the store's calls see it, instead of one
 * per failed call: WARN when calls start failing for a reason outside Sallyport (naming the
 * {@link DbError kind} and SQLState) or fail for another such reason, INFO when a call succeeds
 * again after such a WARN. Every failed call goes to DEBUG with its stack trace. A database that
 * flaps (a role at its connection limit: some calls pass, some fail) would change state with
 * every call, so the same kind is warned about at most once a minute, and only a warned outage
 * is announced as over.
 */
final class OutageLog {

    static final long REPEAT_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Logger log;
    private final LongSupplier nanoTime;
    /** The kind of the current outage, or null while the database answers. */
    private volatile DbError state;
    private boolean stateWarned;
    private DbError lastWarned;
    private long lastWarnedAt;
    private long failures;

    OutageLog() {
        this(LoggerFactory.getLogger(OutageLog.class), System::nanoTime);
    }

    /** With the logger and clock a test controls. */
    OutageLog(Logger log, LongSupplier nanoTime) {
        this.log = log;
        this.nanoTime = nanoTime;
    }

    /** A call failed with {@code e}; logs the change if {@code e} starts an outage or changes its kind. */
    void failed(String operation, Throwable e) {
        log.debug("jdbc: {} failed{}", operation, Db.describe(e), e);
        DbError kind = DbError.of(e);
        if (kind == DbError.OTHER) {
            return;
        }
        synchronized (this) {
            failures++;
            if (state == kind) {
                return;
            }
            state = kind;
            long now = nanoTime.getAsLong();
            stateWarned = kind != lastWarned || now - lastWarnedAt >= REPEAT_NANOS;
            if (!stateWarned) {
                return;
            }
            lastWarned = kind;
            lastWarnedAt = now;
            failures = 1;
        }
        log.warn("PostgreSQL: {} ({}): calls to the database fail until this changes, logins not "
                + "in the auth cache among them (one line per change; each failure at DEBUG)", kind.text(), Db.sqlState(e));
    }

    /** A call succeeded; logs the end of a warned outage. */
    void answered() {
        if (state == null) {
            return; // the common case: one volatile read
        }
        DbError ended;
        long failed;
        synchronized (this) {
            if (state == null) {
                return;
            }
            ended = stateWarned ? state : null;
            failed = failures;
            state = null;
            stateWarned = false;
        }
        if (ended != null) {
            log.info("PostgreSQL answers again (after: {}; {} calls failed)", ended.text(), failed);
        }
    }
}

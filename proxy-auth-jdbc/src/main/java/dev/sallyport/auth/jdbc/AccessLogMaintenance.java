package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the access log's partitions in shape while a store writes to it: at start and then every
 * hour, creates the partitions of the coming days and, with a retention period, drops the ones
 * older than it; forgets the usage progress of sessions whose instance stopped without closing
 * them. Hourly rather than daily so that a restart, a failed run or an outage costs at most an
 * hour; a run with nothing to do is a few cheap statements. Runs on a thread of its own (DDL may
 * wait for a lock; logins and accounting never wait for it).
 *
 * <p>A run that fails (database down, a role without {@code EXECUTE} on the functions, a schema
 * older than version 4) logs one WARN per change of state and is retried at the next run; rows
 * meanwhile go to the DEFAULT partition, so nothing is refused.
 */
final class AccessLogMaintenance implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLogMaintenance.class);
    /**
     * A live session's progress row is rewritten every minute; one untouched this long belongs to an
     * instance that stopped without closing its sessions (killed, crashed) and is forgotten. Its
     * bytes stay in the hourly usage; only an instance cut off from the database for longer, then
     * back, would count that session's bytes so far again.
     */
    static final Duration STALE_PROGRESS = Duration.ofDays(7);

    private final Jdbi jdbi;
    private final Duration retention;
    private final ScheduledExecutorService thread;
    private boolean failing;

    /** @param retention zero keeps every partition */
    AccessLogMaintenance(Jdbi jdbi, Duration retention, Duration every) {
        this.jdbi = jdbi;
        this.retention = retention;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, Db.daemonThreads("sallyport-jdbc-retention-"));
        executor.setRemoveOnCancelPolicy(true);
        this.thread = executor;
        thread.scheduleWithFixedDelay(this::run, 0, every.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void run() {
        try {
            int added = AccessLogPartitions.prepare(jdbi);
            int dropped = retention.isZero() ? 0 : AccessLogPartitions.dropOlderThan(jdbi, retention);
            if (added > 0 || dropped > 0) {
                log.info("Access log: {} day partition(s) created, {} older than {} day(s) dropped", added, dropped,
                        retention.toDays());
            }
            int stale = UsageStatements.forgetStaleProgress(jdbi, STALE_PROGRESS);
            if (stale > 0) {
                log.info("Usage: forgot the progress of {} session(s) of stopped instances, not heard of for {} days",
                        stale, STALE_PROGRESS.toDays());
            }
            if (failing) {
                failing = false;
                log.info("Access log partition maintenance works again");
            }
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("Access log partition maintenance failed{}; rows go to the DEFAULT partition until it "
                        + "works (retried every run; a serving role needs EXECUTE on sallyport_access_log_add_days "
                        + "and sallyport_access_log_drop_before)", Db.describe(e));
            }
            log.debug("Access log partition maintenance failure", e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

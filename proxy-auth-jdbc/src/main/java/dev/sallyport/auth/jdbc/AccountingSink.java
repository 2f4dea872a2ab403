package dev.sallyport.auth.jdbc;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.SessionSummary;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Writes one access-log row per session and the per-user hourly usage, asynchronously and in
 * batches, from a bounded buffer.
 *
 * <h2>Path of a record</h2>
 * {@link #sessionClosed} (on an event loop) only reserves a slot and enqueues: no lock, no I/O.
 * One flusher thread wakes every flush interval, or as soon as a full batch is waiting, and
 * writes up to {@code batchSize} records per statement, repeating while records remain.
 *
 * <h2>Bound</h2>
 * At most {@code bufferSize} records are held, counting the batch being written or retried.
 * A record that finds the buffer full is dropped and counted ({@link #dropped()}); drops are
 * reported at WARN by the flusher, at most every 10 s, never on the event loop.
 *
 * <h2>Outages</h2>
 * A batch that fails for a transient reason (connection refused or lost, shutdown, deadlock)
 * stays in the buffer and is retried with exponential back-off, from the flush interval up to
 * {@code maxBackoff}; the first failure of an outage logs one WARN, recovery one INFO. A batch
 * that fails for a permanent reason (a data error) is retried one row at a time, and the rows
 * that still fail are dropped and counted, so one bad record never blocks accounting.
 *
 * <h2>Idempotence</h2>
 * A batch is one statement: the access-log rows are inserted with
 * {@code ON CONFLICT (instance_id, session_id, started_at) DO NOTHING RETURNING ...}, and the usage upsert
 * adds up only the rows that {@code RETURNING} reports, i.e. those actually inserted by this
 * statement. The statement commits or fails as a whole. So when a batch is retried because its
 * outcome was unknown (the commit went through but the connection dropped before the answer),
 * its rows conflict, nothing is returned and nothing is added twice. The key is a random
 * instance id, fixed for the life of this sink, and the session id, unique within the process.
 * A crash loses what was buffered (at most {@code bufferSize} records) but never double-counts.
 *
 * <h2>Close and the spool</h2>
 * What the close timeout leaves unwritten goes to the {@link Spool} when one is set (else it is
 * dropped and logged at ERROR); the spool files of earlier instances are written before anything
 * else, on this thread, with their own instance ids, so the statement's idempotence covers them.
 *
 * <h2>Open sessions</h2>
 * {@link #sessionProgress} keeps only the latest totals per open session ({@link LiveUsage}), written
 * before the queued records on each pass; see {@link UsageStatements} for how the summary then
 * adds only the rest.
 */
final class AccountingSink implements MetricsSink {

    private static final Logger log = LoggerFactory.getLogger(AccountingSink.class);
    private static final long DROP_REPORT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Jdbi jdbi;
    private final UUID instanceId;
    private final int batchSize;
    private final int bufferSize;
    private final long flushIntervalNanos;
    private final long maxBackoffNanos;
    private final Duration closeTimeout;
    /** Where records go that cannot be written at close; null: they are dropped. */
    private final Spool spool;
    private final LiveUsage live;
    private volatile String lost;

    private final Queue<SessionSummary> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger held = new AtomicInteger();
    /** Records in {@link #queue}, not yet taken into a batch (the queue's size() is not O(1)). */
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong dropsToReport = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final ScheduledExecutorService flusher;
    private volatile boolean closed;
    /** Set once before the sink is published (see {@link JdbcStore#accounting()}). */
    UnauthenticatedSampling sampling = UnauthenticatedSampling.ALL;

    // Flusher thread only.
    /** The batch being written; volatile so that close() can spool it when the flusher is stuck. */
    private volatile List<SessionSummary> pending = List.of();
    /** Set by whoever spools the leftovers at close (the flusher, or close() when the flusher is stuck). */
    private final java.util.concurrent.atomic.AtomicBoolean leftoversTaken = new java.util.concurrent.atomic.AtomicBoolean();
    private final CompletableFuture<Void> leftoversDone = new CompletableFuture<>();
    private long backoffNanos;
    private long nextAttemptNanos;
    private boolean failing;
    private boolean replayed;
    private long lastDropReportNanos = System.nanoTime() - DROP_REPORT_NANOS;

    AccountingSink(Jdbi jdbi, UUID instanceId, int batchSize, int bufferSize, Duration flushInterval,
                   Duration maxBackoff, Duration closeTimeout, Spool spool, Supplier<Instant> clock) {
        this.jdbi = jdbi;
        this.instanceId = instanceId;
        this.batchSize = batchSize;
        this.bufferSize = bufferSize;
        this.flushIntervalNanos = flushInterval.toNanos();
        this.maxBackoffNanos = maxBackoff.toNanos();
        this.closeTimeout = closeTimeout;
        this.spool = spool;
        this.live = new LiveUsage(jdbi, instanceId, batchSize, clock);
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, Db.daemonThreads("sallyport-jdbc-accounting-"));
        executor.setRemoveOnCancelPolicy(true);
        // After close() gave up on a stuck flusher, its retries are not run any more.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.flusher = executor;
        flusher.scheduleWithFixedDelay(this::tick, flushIntervalNanos, flushIntervalNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void sessionProgress(LiveSession session) {
        if (session != null && !closed) {
            live.progress(session);
        }
    }

    @Override
    public void sessionClosed(SessionSummary summary) {
        if (summary == null || !sampling.keep(summary)) {
            return;
        }
        // Before it is queued: the session's progress can no longer be written after its summary.
        live.closed(summary.id());
        if (closed) {
            drop(1);
            return;
        }
        if (held.incrementAndGet() > bufferSize) {
            held.decrementAndGet();
            drop(1);
            return;
        }
        queue.add(summary);
        if (queued.incrementAndGet() >= batchSize && flushScheduled.compareAndSet(false, true)) {
            try {
                flusher.execute(this::tick);
            } catch (RejectedExecutionException e) {
                // Closing: the final drain takes it.
            }
        }
    }

    long dropped() {
        return dropped.get();
    }

    long written() {
        return written.get();
    }

    /** Records held: waiting in the queue or in the batch being written. */
    int buffered() {
        return held.get();
    }

    UUID instanceId() {
        return instanceId;
    }

    /**
     * Writes everything buffered now, ignoring the back-off; completes with whether the buffer
     * was emptied (false when the database refused).
     */
    CompletableFuture<Boolean> flush() {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        try {
            flusher.execute(() -> done.complete(drain(true)));
        } catch (RejectedExecutionException e) {
            done.complete(held.get() == 0);
        }
        return done;
    }

    private void drop(long n) {
        dropped.addAndGet(n);
        dropsToReport.addAndGet(n);
    }

    private void tick() {
        flushScheduled.set(false);
        try {
            drain(false);
        } catch (RuntimeException | Error e) {
            // A scheduled task that throws is never run again: keep the flusher alive.
            log.warn("Accounting flush failed unexpectedly", e);
        }
    }

    /** Writes batches until the buffer is empty or a write fails; returns whether it is empty. */
    private boolean drain(boolean ignoreBackoff) {
        reportDrops(false);
        if (!ignoreBackoff && failing && System.nanoTime() - nextAttemptNanos < 0) {
            return false;
        }
        try {
            if (spool != null && !replayed) {
                spool.replay(jdbi, batchSize);
                replayed = true;
            }
            live.write();
        } catch (RuntimeException e) {
            failed(e);
            return false;
        }
        while (true) {
            if (pending.isEmpty()) {
                pending = take(batchSize);
                if (pending.isEmpty()) {
                    return true;
                }
            }
            if (!writePending()) {
                return false;
            }
        }
    }

    private List<SessionSummary> take(int max) {
        List<SessionSummary> batch = new ArrayList<>(Math.min(max, 64));
        SessionSummary next;
        while (batch.size() < max && (next = queue.poll()) != null) {
            batch.add(next);
        }
        queued.addAndGet(-batch.size());
        return batch;
    }

    /** Writes {@link #pending}; false when it must be retried later. */
    private boolean writePending() {
        try {
            write(pending);
            succeeded(pending.size());
            return true;
        } catch (RuntimeException e) {
            if (!Db.permanent(e)) {
                failed(e);
                return false;
            }
            log.warn("A batch of {} accounting records was refused{}; writing them one at a time",
                    pending.size(), Db.describe(e));
            log.debug("Refused batch", e);
        }
        // A permanent error: isolate the bad rows so the good ones are kept.
        List<SessionSummary> rows = pending;
        for (int i = 0; i < rows.size(); i++) {
            try {
                write(List.of(rows.get(i)));
                succeeded(1);
            } catch (RuntimeException e) {
                if (!Db.permanent(e)) {
                    pending = List.copyOf(rows.subList(i, rows.size()));
                    failed(e);
                    return false;
                }
                held.decrementAndGet();
                drop(1);
                log.warn("Dropped the accounting record of session {}: the database refuses it{}",
                        rows.get(i).id(), Db.describe(e));
                log.debug("Refused record", e);
            }
        }
        pending = List.of();
        return true;
    }

    private void succeeded(int n) {
        held.addAndGet(-n);
        written.addAndGet(n);
        pending = List.of();
        if (failing) {
            failing = false;
            log.info("Accounting database reachable again; writing {} buffered record(s)", held.get());
        }
        backoffNanos = 0;
    }

    private void failed(RuntimeException e) {
        backoffNanos = Math.min(Math.max(backoffNanos * 2, flushIntervalNanos), maxBackoffNanos);
        nextAttemptNanos = System.nanoTime() + backoffNanos;
        if (!failing) {
            failing = true;
            log.warn("Cannot write accounting records{}; keeping up to {} buffered and retrying with back-off "
                    + "up to {} ms", Db.describe(e), bufferSize, TimeUnit.NANOSECONDS.toMillis(maxBackoffNanos));
            log.debug("Accounting write failure", e);
        } else {
            log.debug("Accounting write still failing{}; {} record(s) buffered, next try in {} ms",
                    Db.describe(e), held.get(), TimeUnit.NANOSECONDS.toMillis(backoffNanos));
        }
    }

    private void reportDrops(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDropReportNanos < DROP_REPORT_NANOS) {
            return;
        }
        long n = dropsToReport.getAndSet(0);
        if (n > 0) {
            lastDropReportNanos = now;
            log.warn("Dropped {} accounting record(s): the buffer of {} was full or the sink closed ({} dropped in total)",
                    n, bufferSize, dropped.get());
        }
    }

    /** One statement per batch (see {@link UsageStatements}). Package-private for tests. */
    void write(List<SessionSummary> batch) {
        String id = instanceId.toString();
        jdbi.useHandle(h -> UsageStatements.closed(h, id, batch));
    }

    /**
     * Stops taking records (later ones are dropped and counted), then writes what is buffered,
     * retrying with back-off for up to the close timeout; what is still buffered then is spooled,
     * or dropped, counted and logged ({@link #lost()} says when a spool could not keep it). Idempotent.
     */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean finished = false;
        try {
            flusher.execute(() -> finalDrain(deadline, done));
            done.get(closeTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            finished = true;
        } catch (TimeoutException | java.util.concurrent.ExecutionException | RejectedExecutionException e) {
            log.warn("Accounting sink did not finish its final flush in time ({} record(s) buffered)", held.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Not shutdownNow(): an interrupt would cut a spool file the flusher is writing.
            flusher.shutdown();
        }
        if (!finished) {
            spoolFromClosingThread();
        }
        long left = held.getAndSet(0);
        if (left > 0) {
            drop(left);
            if (spool != null && lost == null) {
                lost = left + " accounting record(s) lost: the final flush did not finish in time to spool them";
            }
        }
        reportDrops(true);
    }

    private void finalDrain(long deadline, CompletableFuture<Void> done) {
        try {
            if (drain(true)) {
                done.complete(null);
                return;
            }
            long wait = Math.min(backoffNanos, deadline - System.nanoTime());
            if (wait <= 0) {
                spoolLeftovers();
                done.complete(null);
                return;
            }
            flusher.schedule(() -> finalDrain(deadline, done), wait, TimeUnit.NANOSECONDS);
        } catch (RuntimeException | Error e) {
            done.completeExceptionally(e);
        }
    }

    /**
     * The flusher is stuck in a database call that outlives the close timeout (a pool waiting for a
     * connection, a socket that does not answer): spool from here, without the caller's interrupt,
     * or wait for the flusher's own spool to be written. A batch the flusher still writes may reach
     * the database as well; the replay skips rows already there, so nothing counts twice.
     */
    private void spoolFromClosingThread() {
        boolean interrupted = Thread.interrupted();
        try {
            if (leftoversTaken.get()) {
                leftoversDone.get(10, TimeUnit.SECONDS);
            } else {
                spoolLeftovers();
            }
        } catch (InterruptedException | java.util.concurrent.ExecutionException | TimeoutException e) {
            log.warn("Accounting sink: the flusher's spool did not complete in time ({})", e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** At close, once (the flusher, or close() when it is stuck): what could not be written goes to the spool, or is reported as lost. */
    private void spoolLeftovers() {
        if (!leftoversTaken.compareAndSet(false, true)) {
            return;
        }
        try {
            spoolLeftoversOnce();
        } finally {
            leftoversDone.complete(null);
        }
    }

    private void spoolLeftoversOnce() {
        List<SessionSummary> left = new ArrayList<>(pending);
        left.addAll(take(Integer.MAX_VALUE));
        pending = List.of();
        if (spool == null) {
            log.error("Accounting database still unreachable at close; dropping {} buffered record(s) (no spool "
                    + "directory: set JdbcStore.Builder.spoolDirectory, the setting spoolDir or serve --spool-dir)", left.size());
            return;
        }
        try {
            Path file = spool.write(instanceId, left);
            held.addAndGet(-left.size());
            log.warn("Accounting database still unreachable at close; spooled {} record(s) to {}; they are written "
                    + "on the next start", left.size(), file);
        } catch (IOException | RuntimeException e) {
            lost = "cannot write the accounting spool in " + spool.directory() + " (" + e + "); " + left.size()
                    + " record(s) lost";
            log.error("Accounting database still unreachable at close and {}", lost);
        }
    }

    /** Why records were lost at close although a spool was set, or null. */
    String lost() {
        return lost;
    }

    @Override
    public String toString() {
        return "JdbcAccountingSink[" + instanceId + "]";
    }
}

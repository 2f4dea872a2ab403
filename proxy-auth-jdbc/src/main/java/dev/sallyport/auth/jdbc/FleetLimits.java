package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Limits;
import dev.sallyport.api.SharedLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Per-user limits counted across every instance on one database: {@link JdbcStore#fleetLimits()}.
 *
 * <p><b>Sessions.</b> Each granted session is a row of {@code sallyport_leases} (this instance's
 * id, a session number of its own, the user, an expiry). A lease for a user with a session limit
 * is taken in one transaction that first takes {@code pg_advisory_xact_lock} on the user's name,
 * then, in one statement, counts the user's unexpired leases, takes a session-rate token and
 * inserts the lease: opens of one user are serialized fleet-wide, so the count is exact.
 *
 * <p><b>Heartbeat.</b> Every {@code leaseHeartbeat} one statement per instance re-writes this
 * instance's live leases with a new expiry ({@code now + leaseTtl}), re-inserting any that are
 * missing (taken during an outage, or purged while this instance could not reach the database),
 * deletes its rows no session holds any more (releases that failed), purges every instance's rows
 * expired for longer than a TTL, and returns, per user, this instance's and the others' live
 * leases: the bandwidth share. A crashed instance's leases stop counting {@code leaseTtl} after its
 * last beat.
 *
 * <p><b>Release.</b> Queued and deleted in batches on the store's threads (one statement per
 * batch); a delete that fails is redone by the next heartbeat.
 *
 * <p><b>Session rate.</b> A token bucket per user in {@code sallyport_session_rate} (capacity one
 * second of the rate), refilled and taken in one upsert on the database's clock.
 *
 * <p><b>Bandwidth.</b> This instance's share of a user's limit is its live leases of the user
 * divided by the user's live leases in the fleet: the share follows where the sessions are (an
 * instance with 9 of 10 sessions gets 90 %), which an equal split per instance would not. It is
 * set when a lease is taken and at every heartbeat.
 *
 * <p><b>Outage.</b> A lease not answered within {@code leaseTimeout}, or any database error, puts
 * the instance in fallback (one WARN): leases are granted by the instance's own limits alone,
 * bandwidth shares go back to 1, and no admission waits for the database. The heartbeat keeps
 * trying; its first success logs one INFO, registers every lease granted meanwhile and resets the
 * shares. Sessions open during the outage keep running; the fleet refuses new ones until the count
 * is under the limit again.
 */
final class FleetLimits implements SharedLimits, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FleetLimits.class);

    /** First key of the per-user advisory locks: "SP" + "leas" in ASCII, apart from the schema's. */
    private static final int LOCK_SPACE = 0x4c656173;

    private static final String TAKE = """
            WITH c AS (SELECT count(*) AS fleet, count(*) FILTER (WHERE instance_id = :instance) AS mine
                       FROM sallyport_leases WHERE user_name = :user AND expires_at > clock_timestamp()),
            r AS (INSERT INTO sallyport_session_rate AS b (user_name, tokens, refilled_at)
                  SELECT :user, :rate - 1, coalesce(TIMESTAMPTZ 'epoch' + CAST(:nowMicros AS bigint) * INTERVAL '1 microsecond',
                                                    clock_timestamp())
                  FROM c WHERE :rate > 0 AND (:max = 0 OR c.fleet < :max)
                  ON CONFLICT (user_name) DO UPDATE SET
                      tokens = least(:rate, b.tokens + :rate * greatest(0, extract(epoch FROM EXCLUDED.refilled_at
                               - b.refilled_at))) - 1,
                      refilled_at = greatest(b.refilled_at, EXCLUDED.refilled_at)
                  WHERE least(:rate, b.tokens + :rate * greatest(0, extract(epoch FROM EXCLUDED.refilled_at
                        - b.refilled_at))) >= 1
                  RETURNING 1),
            i AS (INSERT INTO sallyport_leases (instance_id, session_id, user_name, expires_at)
                  SELECT :instance, :session, :user, clock_timestamp() + :ttlMillis * INTERVAL '1 millisecond'
                  FROM c WHERE (:max = 0 OR c.fleet < :max) AND (:rate = 0 OR EXISTS (SELECT 1 FROM r))
                  ON CONFLICT (instance_id, session_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
                  RETURNING 1)
            SELECT c.fleet, c.mine, EXISTS (SELECT 1 FROM i) AS granted FROM c""";

    private static final String BEAT = """
            WITH live AS (SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:users AS text[])) AS l(session_id, user_name)),
            gone AS (DELETE FROM sallyport_leases d WHERE (d.instance_id = :instance AND d.session_id <= :issued
                         AND NOT d.session_id = ANY (CAST(:keep AS bigint[])))
                         OR (d.instance_id <> :instance
                             AND d.expires_at < clock_timestamp() - :ttlMillis * INTERVAL '1 millisecond')),
            up AS (INSERT INTO sallyport_leases (instance_id, session_id, user_name, expires_at)
                   SELECT :instance, session_id, user_name, clock_timestamp() + :ttlMillis * INTERVAL '1 millisecond'
                   FROM live
                   ON CONFLICT (instance_id, session_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
                   RETURNING user_name)
            SELECT u.user_name, count(*) AS mine,
                   (SELECT count(*) FROM sallyport_leases f WHERE f.user_name = u.user_name
                    AND f.instance_id <> :instance AND f.expires_at > clock_timestamp()) AS others
            FROM up u GROUP BY u.user_name""";

    private final Db db;
    private final UUID instance;
    private final long ttlMillis;
    private final long timeoutMillis;
    /** The clock of the session-rate buckets; null: the database's. A test's fixed clock. */
    private final Supplier<Instant> rateClock;
    private final ScheduledThreadPoolExecutor heartbeat;

    /** Granted leases by session number; guarded by itself together with {@link #pending} and {@link #issued}. */
    private final Map<Long, Held> held = new ConcurrentHashMap<>();
    private final Set<Long> pending = new HashSet<>();
    private long issued;
    private final Queue<Long> released = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean releasing = new AtomicBoolean();
    private final AtomicBoolean fallback = new AtomicBoolean();
    /** Times this instance fell back to its own limits, and came back: each logged once. */
    private final AtomicInteger fallbacks = new AtomicInteger();
    private final AtomicInteger recoveries = new AtomicInteger();
    private volatile Shares shares = (user, fraction) -> { };
    private volatile boolean closed;

    FleetLimits(Db db, UUID instance, Duration heartbeatEvery, Duration ttl, Duration timeout,
                Supplier<Instant> rateClock) {
        this.db = db;
        this.instance = instance;
        this.ttlMillis = ttl.toMillis();
        this.timeoutMillis = timeout.toMillis();
        this.rateClock = rateClock;
        this.heartbeat = new ScheduledThreadPoolExecutor(1, Db.daemonThreads("sallyport-jdbc-leases-"));
        heartbeat.scheduleWithFixedDelay(this::beat, heartbeatEvery.toNanos(), heartbeatEvery.toNanos(),
                TimeUnit.NANOSECONDS);
    }

    @Override
    public void start(Shares shares) {
        this.shares = java.util.Objects.requireNonNull(shares, "shares");
    }

    @Override
    public CompletionStage<Lease> acquire(String user, Limits limits) {
        long session;
        synchronized (held) {
            session = ++issued;
            pending.add(session);
        }
        if (fallback.get() || closed) {
            return CompletableFuture.completedFuture(settle(session, user, limits, null, null));
        }
        return db.submit("lease", () -> take(session, user, limits)).toCompletableFuture()
                .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .handle((taken, error) -> settle(session, user, limits, taken, error));
    }

    /** What the database said about one lease. */
    private record Taken(long fleet, long mine, boolean granted) {
    }

    private Taken take(long session, String user, Limits limits) {
        if (limits.maxSessions() == 0) {
            // Nothing to count: the rate's upsert is atomic on its own, no transaction needed.
            return db.kept(h -> take(h, session, user, limits));
        }
        return db.kept(h -> h.inTransaction(tx -> {
            // Its own statement: the count in the next must see every lease committed before the lock was ours.
            tx.createQuery("SELECT 1 FROM pg_advisory_xact_lock(:space, hashtext(:user))")
                    .bind("space", LOCK_SPACE).bind("user", user).mapTo(Integer.class).one();
            return take(tx, session, user, limits);
        }));
    }

    private Taken take(org.jdbi.v3.core.Handle h, long session, String user, Limits limits) {
        Instant now = rateClock == null ? null : rateClock.get();
        return h.createQuery(TAKE)
                .bind("instance", instance)
                .bind("session", session)
                .bind("user", user)
                .bind("max", limits.maxSessions())
                .bind("rate", limits.sessionsPerSecond())
                .bind("ttlMillis", ttlMillis)
                .bind("nowMicros", now == null ? null : ChronoUnit.MICROS.between(Instant.EPOCH, now))
                .map((rs, ctx) -> new Taken(rs.getLong("fleet"), rs.getLong("mine"), rs.getBoolean("granted")))
                .one();
    }

    /** The lease for {@code session}: as the database answered, or granted here when it could not. */
    private Lease settle(long session, String user, Limits limits, Taken taken, Throwable error) {
        if (error != null) {
            enterFallback(error);
        }
        if (taken != null && !taken.granted()) {
            synchronized (held) {
                pending.remove(session);
            }
            return limits.maxSessions() > 0 && taken.fleet() >= limits.maxSessions()
                    ? Lease.refused(Refusal.MAX_SESSIONS, "user has " + taken.fleet() + " of " + limits.maxSessions()
                            + " sessions open in the fleet")
                    : Lease.refused(Refusal.SESSIONS_PER_SECOND, "over " + limits.sessionsPerSecond()
                            + " new sessions/s in the fleet");
        }
        Held lease = new Held(session, user);
        synchronized (held) {
            pending.remove(session);
            held.put(session, lease);
        }
        if (taken != null) {
            share(user, (double) (taken.mine() + 1) / (taken.fleet() + 1));
        }
        return lease;
    }

    /** One session's row; released once. */
    private final class Held implements Lease {
        final long session;
        final String user;
        private final AtomicBoolean released = new AtomicBoolean();

        Held(long session, String user) {
            this.session = session;
            this.user = user;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                held.remove(session);
                FleetLimits.this.released.add(session);
                deleteReleased();
            }
        }
    }

    /** Deletes the released leases in one statement per batch, one batch at a time, on the store's threads. */
    private void deleteReleased() {
        if (fallback.get() || closed || !releasing.compareAndSet(false, true)) {
            return; // the heartbeat deletes what is left: rows no session holds
        }
        db.submit("lease release", () -> {
            List<Long> batch = new ArrayList<>();
            while (batch.size() < 10_000) {
                Long id = released.poll();
                if (id == null) {
                    break;
                }
                batch.add(id);
            }
            if (!batch.isEmpty()) {
                db.kept(h -> h.createUpdate("""
                                DELETE FROM sallyport_leases WHERE instance_id = :instance
                                AND session_id = ANY (CAST(:ids AS bigint[]))""")
                        .bind("instance", instance).bindArray("ids", Long.class, batch).execute());
            }
            return batch.size();
        }).whenComplete((n, error) -> {
            releasing.set(false);
            if (error != null) {
                released.clear();
                enterFallback(error);
            } else if (!released.isEmpty()) {
                deleteReleased();
            }
        });
    }

    /** One heartbeat: see the class comment. Package-private so that tests can beat on demand. */
    void beat() {
        if (closed) {
            return;
        }
        List<Long> ids = new ArrayList<>();
        List<String> users = new ArrayList<>();
        List<Long> keep;
        long upTo;
        synchronized (held) {
            upTo = issued;
            for (Held lease : held.values()) {
                ids.add(lease.session);
                users.add(lease.user);
            }
            keep = new ArrayList<>(ids);
            keep.addAll(pending);
        }
        try {
            List<Object[]> rows = db.kept(h -> h.createQuery(BEAT)
                    .bind("instance", instance)
                    .bind("issued", upTo)
                    .bind("ttlMillis", ttlMillis)
                    .bindArray("ids", Long.class, ids)
                    .bindArray("users", String.class, users)
                    .bindArray("keep", Long.class, keep)
                    .map((rs, ctx) -> new Object[] {rs.getString("user_name"), rs.getLong("mine"), rs.getLong("others")})
                    .list());
            if (fallback.compareAndSet(true, false)) {
                recoveries.incrementAndGet();
                log.info("Fleet limits: PostgreSQL answers again; {} lease(s) of this instance registered, limits "
                        + "counted across the fleet again", ids.size());
            }
            for (Object[] row : rows) {
                long mine = (Long) row[1];
                share((String) row[0], (double) mine / (mine + (Long) row[2]));
            }
        } catch (RuntimeException e) {
            enterFallback(e);
        }
    }

    private void enterFallback(Throwable error) {
        if (closed || !fallback.compareAndSet(false, true)) {
            return;
        }
        fallbacks.incrementAndGet();
        log.warn("Fleet limits: PostgreSQL unreachable or failing{}; falling back to per-instance limits until the "
                + "heartbeat reaches it again", Db.describe(error));
        Set<String> users = new HashSet<>();
        for (Held lease : held.values()) {
            if (users.add(lease.user)) {
                share(lease.user, 1);
            }
        }
    }

    private void share(String user, double fraction) {
        try {
            shares.share(user, Math.min(1, fraction));
        } catch (RuntimeException e) {
            log.debug("Fleet limits: re-shaping {} failed", user, e);
        }
    }

    /** Whether the database failed and limits are per instance until it answers again. */
    boolean inFallback() {
        return fallback.get();
    }

    /** How often this instance fell back (WARN) and recovered (INFO). */
    int[] transitions() {
        return new int[] {fallbacks.get(), recoveries.get()};
    }

    /** Stops the heartbeat and deletes this instance's leases (best effort). Close the proxy first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.shutdownNow();
        try {
            db.jdbi.useHandle(h -> h.createUpdate("DELETE FROM sallyport_leases WHERE instance_id = :instance")
                    .bind("instance", instance).execute());
        } catch (RuntimeException e) {
            log.debug("Fleet limits: could not delete this instance's leases{}; they expire on their own",
                    Db.describe(e));
        }
        db.close();
    }

    @Override
    public String toString() {
        return "JdbcFleetLimits[" + instance + "]";
    }
}

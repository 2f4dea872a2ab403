package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.User;
import dev.sallyport.api.UserStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Users, an access log and per-user usage statistics in PostgreSQL, shared by every proxy
 * instance that points at the same database.
 *
 * <pre>{@code
 * JdbcStore store = JdbcStore.create(dataSource);         // creates or migrates the schema
 * ProxyManager proxy = ProxyManager.builder()
 *     .socks5(1080)
 *     .auth(store)                                        // AuthBackend, and the UserStore behind users()
 *     .metrics(store.accounting())                        // access log and hourly usage
 *     .start();
 * proxy.users().create("alice", Limits.NONE);             // generated password and token
 * ...
 * proxy.close();                                          // first the proxy: its last sessions are reported
 * store.close();                                          // then the store: writes what is buffered
 * }</pre>
 *
 * <p><b>Authentication.</b> Passwords are PBKDF2-HMAC-SHA256 hashes (210 000 iterations, random
 * 16-byte salt, parameters in the stored string); tokens are stored as SHA-256. Comparisons are
 * constant-time, and a login for an unknown name costs one PBKDF2 like a known one. A token also
 * works as the password of its user (SOCKS5 has no other field for it). The principal carries the
 * user's {@link Limits} and attributes ({@link #attributes(String, java.util.Map)}). When the
 * database is unreachable, a login completes exceptionally, which core turns into a closed
 * failure (SOCKS5 reply 0x01, HTTP 503); logins in core's auth cache keep working for the cache's
 * TTL. Nothing has to be restarted when the database returns: every call
 * takes a fresh connection from the {@link DataSource}.
 *
 * <p><b>Threading.</b> Every method that touches the database returns a {@link CompletionStage}
 * completed on an executor of this store (bounded: 4 threads and 1024 queued calls by default);
 * none blocks the caller, except {@link Builder#build()} (schema migration) and {@link #close()}.
 * Listeners added with {@link #addListener} hear about changes made through this store and, within
 * about a second, about those made by other instances, the command line or plain SQL (a trigger
 * notifies them; the store listens on one connection of its own).
 *
 * <p><b>Accounting.</b> See {@link #accounting()}: batched, bounded, retried, idempotent.
 *
 * <p><b>Connections.</b> Pass a pooled {@link DataSource} (HikariCP or your container's) in
 * production; with a plain one every call opens a connection ({@link #fromSettings} pools its own). Listening for changes takes one
 * more connection for the store's life: a fresh one from a {@code PGSimpleDataSource} (also one
 * wrapped by the pool), otherwise one borrowed from the data source and never given back. Use a statement timeout (for
 * example {@code options=-c statement_timeout=10s} or a socket timeout) so that a hung database
 * cannot hold the executor's threads forever.
 *
 * <p>Thread-safe. {@link #close()} is idempotent.
 */
public final class JdbcStore implements AuthBackend, UserStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JdbcStore.class);

    private final int batchSize;
    private final int bufferSize;
    private final Duration flushInterval;
    private final Duration maxBackoff;
    private final Duration closeTimeout;
    private final Db db;
    private final JdbcUsers users;
    private final JdbcAttributes attributes;
    private final Reports reports;
    private final AutoCloseable owned;
    private final DataSource dataSource;
    private volatile AccountingSink accounting;
    private Notifications notifications;
    private volatile boolean closed;
    /** This instance in the access log and the lease table: one id for the life of the store. */
    private final UUID instanceId = UUID.randomUUID();
    private final Builder config;
    private FleetLimits fleet;
    private AccessLogMaintenance maintenance;

    private JdbcStore(Builder config, AutoCloseable owned) {
        this.batchSize = config.batchSize;
        this.bufferSize = config.bufferSize;
        this.flushInterval = config.flushInterval;
        this.maxBackoff = config.maxBackoff;
        this.closeTimeout = config.closeTimeout;
        this.config = config;
        this.owned = owned;
        this.dataSource = config.dataSource;
        this.db = new Db(config.dataSource, config.threads, config.queue);
        this.users = new JdbcUsers(db);
        this.attributes = new JdbcAttributes(db, users);
        this.reports = new Reports(db);
    }

    /**
     * A store with the default settings; creates or migrates the schema before it returns.
     *
     * @param dataSource a PostgreSQL data source
     * @return the store, its schema current
     */
    public static JdbcStore create(DataSource dataSource) {
        return builder(dataSource).build();
    }

    /**
     * A store over a HikariCP pool of its own, built from the settings the {@code jdbc}
     * providers take: {@code url} (required), {@code user}, {@code password}, {@code threads},
     * {@code batchSize}, {@code bufferSize}, {@code flushIntervalMillis}, {@code maxBackoffMillis},
     * {@code retentionDays}, {@code logUnauthenticated}, {@code spoolDir}, {@code migrate}, and for
     * the pool {@code poolSize} (default threads + 1), {@code connectionTimeoutMillis} (default
     * 5000: how long a call waits for a free connection) and {@code maxLifetimeMillis} (default
     * 1800000, 0 for none). Migrates the schema unless {@code migrate} is {@code false}; then it
     * checks that the schema is current.
     *
     * @param settings the settings
     * @return the store, its schema current
     * @throws IllegalArgumentException naming a missing, unknown or malformed setting (never
     *                                  repeating the password or the URL)
     * @throws IllegalStateException    when the schema cannot be migrated (e.g. no database)
     */
    public static JdbcStore fromSettings(java.util.Map<String, String> settings) {
        return ProviderSettings.store("jdbc", settings);
    }

    /**
     * A builder for a store over {@code dataSource}.
     *
     * @param dataSource a PostgreSQL data source
     * @return a new builder
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
    }

    // ---- AuthBackend ----

    @Override
    public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
        return users.authenticate(credentials, context);
    }

    /** {@code jdbc}. */
    @Override
    public String name() {
        return "jdbc";
    }

    // ---- UserStore ----

    @Override
    public CompletionStage<NewCredentials> create(String name, String password, Limits limits) {
        return users.create(name, password, limits);
    }

    @Override
    public CompletionStage<List<User>> list() {
        return users.list();
    }

    @Override
    public CompletionStage<Optional<User>> find(String name) {
        return users.find(name);
    }

    @Override
    public CompletionStage<User> update(String name, Limits limits) {
        return users.update(name, limits);
    }

    @Override
    public CompletionStage<User> enable(String name, boolean enabled) {
        return users.enable(name, enabled);
    }

    @Override
    public CompletionStage<NewCredentials> rotate(String name) {
        return users.rotate(name);
    }

    @Override
    public CompletionStage<Boolean> delete(String name) {
        return users.delete(name);
    }

    /**
     * Changes a user's attributes (see {@link UserAttributes}): sets each key of {@code changes}
     * to its value and removes the keys given an empty value, in one statement. Every login then
     * carries them in its principal; logins cached by running proxies are forgotten as for any
     * change of the user ({@link #addListener}).
     *
     * @param name    the user's name
     * @param changes keys to set, or to remove with an empty value; empty to read the attributes
     * @return completes with the user's attributes after the change, or fails with
     *         {@link IllegalArgumentException} for a key or value against the rule, or no such user
     */
    public CompletionStage<java.util.Map<String, String>> attributes(String name, java.util.Map<String, String> changes) {
        return attributes.change(name, changes);
    }

    /**
     * The attributes of every user that has any.
     *
     * @return completes with the attributes by user name, in the order of the names
     */
    public CompletionStage<java.util.Map<String, java.util.Map<String, String>>> attributes() {
        return attributes.all();
    }

    /**
     * Registers a listener told of every change of a user: those made through this store at once,
     * and those made by anyone else (another instance, the command line, SQL) within about a
     * second, through PostgreSQL {@code LISTEN/NOTIFY}. The first listener starts the store's
     * notification thread and its one dedicated connection; after that connection was lost, the
     * listeners hear {@link Listener#everythingChanged()} and the current credential version of
     * every user once it is back. Listeners are called on the store's threads, possibly twice for
     * one change; they must be fast and idempotent.
     *
     * @param listener the listener
     */
    @Override
    public void addListener(Listener listener) {
        users.addListener(listener);
        synchronized (this) {
            if (!closed && notifications == null) {
                notifications = new Notifications(dataSource, users, maxBackoff).start();
            }
        }
    }

    // ---- Accounting ----

    /**
     * The sink that writes one {@code sallyport_access_log} row per session and adds to the
     * user's {@code sallyport_usage_hourly} row (UTC hour of the session's start); the same
     * instance on every call. Register it with {@code ProxyManager.Builder.metrics(...)}.
     *
     * <p>{@code sessionClosed} only enqueues. A flusher thread writes up to
     * {@link Builder#batchSize(int) batchSize} records per statement (default 500), every
     * {@link Builder#flushInterval(Duration) flushInterval} (default 1 s) or as soon as a full
     * batch is waiting. At most {@link Builder#bufferSize(int) bufferSize} records (default
     * 100 000) are held; beyond that records are dropped, counted in {@link #droppedRecords()}
     * and reported at WARN. While the database is unreachable, the batch is retried with
     * exponential back-off from the flush interval up to {@link Builder#maxBackoff(Duration)}
     * (default 30 s). Each batch is one statement that inserts the log rows with
     * {@code ON CONFLICT DO NOTHING} and adds to the usage only the rows it actually inserted,
     * so a retried batch is never counted twice. Anonymous sessions are logged but have no usage
     * row. {@link #close()} writes what is buffered. The first call also starts the access log's
     * partition upkeep: at once and then hourly, the partitions of the coming UTC days are created
     * and, with a {@link Builder#retention(Duration) retention}, the old ones dropped.
     *
     * @return the accounting sink
     */
    public MetricsSink accounting() {
        AccountingSink sink = accounting;
        if (sink == null) {
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("jdbc: store closed");
                }
                sink = accounting;
                if (sink == null) {
                    sink = new AccountingSink(db.jdbi, instanceId, batchSize, bufferSize, flushInterval, maxBackoff,
                            closeTimeout, config.spoolDirectory == null ? null : new Spool(config.spoolDirectory),
                            config.accountingClock);
                    sink.sampling = UnauthenticatedSampling.oneIn(config.logUnauthenticated);
                    maintenance = new AccessLogMaintenance(db.jdbi, config.retention, Duration.ofHours(1));
                    accounting = sink;
                }
            }
        }
        return sink;
    }

    /**
     * Per-user limits counted across every proxy instance on this database (pass it to
     * {@code ProxyManager.Builder.sharedLimits(...)}); the same instance on every call, started
     * (its heartbeat thread) on the first. Concurrent sessions are exact across instances; the
     * session rate is one token bucket per user in the database; bandwidth is shared in
     * proportion to where the user's sessions are. Only sessions of users with a limit touch the
     * database. While the database is unreachable, each instance falls back to its own limits
     * (logged once at WARN, and at INFO when it answers again). Settings:
     * {@link Builder#leaseHeartbeat}, {@link Builder#leaseTtl}, {@link Builder#leaseTimeout}.
     * Closed by {@link #close()}, which deletes this instance's leases.
     *
     * @return the fleet-wide limits of this store
     * @throws IllegalStateException when the store is closed
     */
    public synchronized dev.sallyport.api.SharedLimits fleetLimits() {
        if (closed) {
            throw new IllegalStateException("jdbc: store closed");
        }
        if (fleet == null) {
            fleet = new FleetLimits(new Db(config.held, 2, 4096, "sallyport-jdbc-leases-db-", true), instanceId,
                    config.leaseHeartbeat, config.leaseTtl, config.leaseTimeout, config.rateClock);
        }
        return fleet;
    }

    /**
     * Drops the access log's day partitions (UTC days) that ended more than {@code olderThan}
     * ago, and such rows of the DEFAULT partition; the disk space is freed at once. Safe to run
     * from several instances at the same time. Completes with the number of partitions dropped.
     *
     * @param olderThan a whole number of days, at least one
     * @return completes with the number of day partitions dropped
     */
    public CompletionStage<Integer> prune(Duration olderThan) {
        try {
            AccessLogPartitions.days("olderThan", olderThan);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return db.submit("prune", () -> AccessLogPartitions.dropOlderThan(db.jdbi, olderThan));
    }

    /** The fleet limits if {@link #fleetLimits()} made them, for tests. */
    synchronized FleetLimits fleet() {
        return fleet;
    }

    /**
     * Accounting records dropped so far: buffer full, refused by the database, or left at close.
     *
     * @return the number dropped
     */
    public long droppedRecords() {
        AccountingSink sink = accounting;
        return sink == null ? 0 : sink.dropped();
    }

    /**
     * Accounting records buffered now, waiting to be written.
     *
     * @return the number buffered
     */
    public int bufferedRecords() {
        AccountingSink sink = accounting;
        return sink == null ? 0 : sink.buffered();
    }

    /**
     * Accounting records written so far (a retried record counts once).
     *
     * @return the number written
     */
    public long writtenRecords() {
        AccountingSink sink = accounting;
        return sink == null ? 0 : sink.written();
    }

    /**
     * Writes the buffered accounting records now, without waiting for the flush interval or a
     * back-off; completes with whether the buffer was emptied (false while the database is
     * unreachable).
     *
     * @return completes with whether the buffer was emptied
     */
    public CompletionStage<Boolean> flush() {
        AccountingSink sink = accounting;
        return sink == null ? CompletableFuture.completedFuture(true) : sink.flush();
    }

    /**
     * Whether the database answers now: runs {@code SELECT 1} on the store's executor and
     * completes with true when it answered, false when it did not (unreachable, refused, or the
     * store's queue full); never exceptionally. Takes as long as the data source's connect and
     * socket timeouts allow; a caller that needs a deadline applies its own.
     *
     * @return completes with whether the database answered
     */
    public CompletionStage<Boolean> ping() {
        return db.submit("ping", () -> db.jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1)
                .exceptionally(e -> {
                    log.debug("jdbc: ping failed{}", Db.describe(e));
                    return false;
                });
    }

    // ---- Operator queries ----

    /**
     * Usage per user from the hour containing {@code since} up to {@code until} (exclusive,
     * hour granularity), ordered by name.
     *
     * @param since the start, inclusive
     * @param until the end, exclusive
     * @return completes with the usage per user
     */
    public CompletionStage<List<Usage>> usage(Instant since, Instant until) {
        return Reports.limited(1, since, until, () -> reports.usage(since, until, "user_name COLLATE \"C\"", Integer.MAX_VALUE));
    }

    /**
     * The {@code limit} users with the most bytes (both ways) in the period, most first.
     *
     * @param since the start, inclusive
     * @param until the end, exclusive
     * @param limit how many users
     * @return completes with the usage of the top users
     */
    public CompletionStage<List<Usage>> topUsers(Instant since, Instant until, int limit) {
        return Reports.limited(limit, since, until, () -> reports.usage(since, until,
                "bytes_up + bytes_down DESC, user_name COLLATE \"C\"", limit));
    }

    /**
     * Hourly usage of one user in the period, oldest first.
     *
     * @param user the user's name
     * @param since the start, inclusive
     * @param until the end, exclusive
     * @return completes with the usage per hour
     */
    public CompletionStage<List<HourlyUsage>> hourlyUsage(String user, Instant since, Instant until) {
        return Reports.ofUser(user, 1, since, until, () -> reports.hourly(user, since, until));
    }

    /**
     * The last {@code limit} sessions of {@code user}, newest first.
     *
     * @param user the user's name
     * @param limit how many sessions
     * @return completes with the sessions
     */
    public CompletionStage<List<SessionRecord>> recentSessions(String user, int limit) {
        return recentSessions(user, Instant.EPOCH, Instant.MAX, limit);
    }

    /**
     * The last {@code limit} sessions of {@code user} started in the period, newest first.
     *
     * @param user the user's name
     * @param since the start, inclusive
     * @param until the end, exclusive
     * @param limit how many sessions
     * @return completes with the sessions
     */
    public CompletionStage<List<SessionRecord>> recentSessions(String user, Instant since, Instant until, int limit) {
        return Reports.ofUser(user, limit, since, until, () -> reports.recentSessions(user, since, until, limit));
    }

    /**
     * Writes the buffered accounting records (retrying for up to the close timeout), then stops
     * the store's threads. Close the proxy first so its last sessions are reported. Idempotent.
     * Records still not written then go to the {@link Builder#spoolDirectory spool}, or without
     * one are dropped and logged at ERROR with their count.
     *
     * @throws IllegalStateException when a spool directory is set and the records could not be
     *                               spooled (unwritable, full): they are lost, the store is closed
     */
    @Override
    public void close() {
        AccountingSink sink;
        FleetLimits leases;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            sink = accounting;
            leases = fleet;
        }
        if (maintenance != null) {
            maintenance.close();
        }
        if (leases != null) {
            leases.close();
        }
        if (notifications != null) {
            notifications.close();
        }
        if (sink != null) {
            sink.close();
        }
        db.close();
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                log.warn("Failed to close {}", owned, e);
            }
        }
        if (sink != null && sink.lost() != null) {
            throw new IllegalStateException("accounting: " + sink.lost());
        }
    }

    @Override
    public String toString() {
        return "JdbcStore";
    }

    /** Usage of one user over a period. */
    public record Usage(String user, long bytesUp, long bytesDown, long sessions) {
        /**
         * Bytes both ways.
         *
         * @return bytes up plus bytes down
         */
        public long bytesTotal() {
            return bytesUp + bytesDown;
        }
    }

    /** Usage of one user in one UTC hour ({@code hour} is its start). */
    public record HourlyUsage(String user, Instant hour, long bytesUp, long bytesDown, long sessions) {
    }

    /**
     * One session from the access log.
     *
     * @param clientAddress the client's IP address as text, or null when it was unknown
     * @param protocol      null when written by a newer version with a protocol this one does not know
     * @param command       null when the client never made a request
     */
    public record SessionRecord(Instant started, String user, String clientAddress, int clientPort, Protocol protocol,
                                Command command, String targetHost, int targetPort, Outcome outcome, String rule,
                                long bytesUp, long bytesDown, Duration duration) {
    }

    /**
     * Configures a {@link JdbcStore}. Every method validates its argument at once;
     * {@link #build()} checks the rest and migrates the schema. Not thread-safe.
     */
    public static final class Builder {

        /** Rows per statement are bound as 18 parameters each; PostgreSQL allows 65 535 per statement. */
        static final int MAX_BATCH = 2000;

        static final int DEFAULT_THREADS = 4;

        final DataSource dataSource;
        /** Where connections held for the store's life come from (the fleet's): outside a pool of ours. */
        DataSource held;
        AutoCloseable owned;
        int threads = DEFAULT_THREADS;
        int queue = 1024;
        int batchSize = 500;
        int bufferSize = 100_000;
        Duration flushInterval = Duration.ofSeconds(1);
        Duration maxBackoff = Duration.ofSeconds(30);
        Duration closeTimeout = Duration.ofSeconds(10);
        boolean migrate = true;
        Duration leaseHeartbeat = Duration.ofSeconds(5);
        Duration leaseTtl = Duration.ofSeconds(15);
        Duration leaseTimeout = Duration.ofSeconds(2);
        java.util.function.Supplier<Instant> rateClock;
        Duration retention = Duration.ZERO;
        int logUnauthenticated = 1;
        java.nio.file.Path spoolDirectory;
        java.util.function.Supplier<Instant> accountingClock = Instant::now;

        private Builder(DataSource dataSource) {
            this.dataSource = dataSource;
            this.held = dataSource;
        }

        /**
         * Threads for database calls and password hashing. Default 4.
         *
         * @param threads the number of threads
         * @return this builder
         */
        public Builder threads(int threads) {
            this.threads = atLeast("threads", threads, 1, 256);
            return this;
        }

        /**
         * Calls that may wait for a thread; one more fails at once. Default 1024.
         *
         * @param calls the queue's capacity
         * @return this builder
         */
        public Builder queue(int calls) {
            this.queue = atLeast("queue", calls, 1, 1_000_000);
            return this;
        }

        /**
         * Accounting records per statement. Default 500; 1 to 2000.
         *
         * @param rows the rows per statement
         * @return this builder
         */
        public Builder batchSize(int rows) {
            this.batchSize = atLeast("batchSize", rows, 1, MAX_BATCH);
            return this;
        }

        /**
         * Accounting records held at most while waiting or retrying; more are dropped and counted. Default 100 000.
         *
         * @param records the buffer's capacity
         * @return this builder
         */
        public Builder bufferSize(int records) {
            this.bufferSize = atLeast("bufferSize", records, 1, 100_000_000);
            return this;
        }

        /**
         * How often buffered accounting records are written when no batch is full. Default 1 s; must be positive.
         *
         * @param interval the interval
         * @return this builder
         */
        public Builder flushInterval(Duration interval) {
            this.flushInterval = positive("flushInterval", interval);
            return this;
        }

        /**
         * The longest wait between retries while the database is unreachable. Default 30 s; must be positive.
         *
         * @param backoff the longest wait
         * @return this builder
         */
        public Builder maxBackoff(Duration backoff) {
            this.maxBackoff = positive("maxBackoff", backoff);
            return this;
        }

        /**
         * How long {@link JdbcStore#close()} keeps retrying buffered records. Default 10 s; zero tries once.
         *
         * @param timeout the timeout, zero to try once
         * @return this builder
         */
        public Builder closeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "closeTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout: " + timeout + " (expected: >= 0)");
            }
            this.closeTimeout = timeout;
            return this;
        }

        /**
         * Whether {@link #build()} creates or migrates the schema. Default true; turn it off when
         * the database user may not run DDL and an operator migrated with a privileged one: then
         * {@link #build()} only checks that the schema is current (and fails if it is older).
         *
         * @param migrate false to leave the schema alone
         * @return this builder
         */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /**
         * How often {@link JdbcStore#fleetLimits()} extends this instance's session leases (one
         * statement per beat). Default 5 s; must be positive.
         *
         * @param interval the interval
         * @return this builder
         */
        public Builder leaseHeartbeat(Duration interval) {
            this.leaseHeartbeat = positive("leaseHeartbeat", interval);
            return this;
        }

        /**
         * How long a session lease counts after its instance's last heartbeat: a crashed
         * instance's sessions stop counting after this. Default 15 s; at least twice
         * {@link #leaseHeartbeat} (checked by {@link #build()}).
         *
         * @param ttl the time to live
         * @return this builder
         */
        public Builder leaseTtl(Duration ttl) {
            this.leaseTtl = positive("leaseTtl", ttl);
            return this;
        }

        /**
         * How long an admission waits for the database's answer on a lease before it falls back
         * to the instance's own limits. Default 2 s; must be positive (keep it under the proxy's
         * connect timeout).
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder leaseTimeout(Duration timeout) {
            this.leaseTimeout = positive("leaseTimeout", timeout);
            return this;
        }

        /**
         * How long the access log keeps its rows: the writer ({@link JdbcStore#accounting()})
         * drops the day partitions (UTC days) that ended longer ago, at start and every hour.
         * Default zero: keep everything. Hourly usage is not affected.
         *
         * @param days zero, or a whole number of days
         * @return this builder
         */
        public Builder retention(Duration days) {
            Objects.requireNonNull(days, "retention");
            this.retention = days.isZero() ? days : AccessLogPartitions.days("retention", days);
            return this;
        }

        /**
         * Which sessions that never authenticated (no user and no request: connect-and-close,
         * failed handshakes) get an access-log row: 1 all (the default), 0 none, N one in N. Failed
         * logins always get a row.
         *
         * @param oneIn 0, 1 or N
         * @return this builder
         */
        public Builder logUnauthenticated(int oneIn) {
            this.logUnauthenticated = UnauthenticatedSampling.check("logUnauthenticated", oneIn);
            return this;
        }

        /**
         * Where accounting records that cannot be written before {@link JdbcStore#close()} gives up
         * are kept (one file per store, mode 600, at most {@link #bufferSize} records), to be
         * written when a store with the same directory starts its accounting. Default none: they
         * are dropped and logged at ERROR. Created when first needed.
         *
         * @param directory the spool directory
         * @return this builder
         */
        public Builder spoolDirectory(java.nio.file.Path directory) {
            this.spoolDirectory = Objects.requireNonNull(directory, "spoolDirectory");
            return this;
        }

        /** The wall clock that places open sessions' bytes in their hour, for tests. */
        Builder accountingClock(java.util.function.Supplier<Instant> clock) {
            this.accountingClock = Objects.requireNonNull(clock, "accountingClock");
            return this;
        }

        /** A fixed clock for the session-rate buckets instead of the database's, for tests. */
        Builder rateClock(java.util.function.Supplier<Instant> clock) {
            this.rateClock = clock;
            return this;
        }

        /** The plain data source under a pool the store was built for (the provider's). */
        Builder held(DataSource plain) {
            this.held = plain;
            return this;
        }

        /** Closed with the store: for a data source the store was built for (the provider's). */
        Builder owned(AutoCloseable resource) {
            this.owned = resource;
            return this;
        }

        /**
         * Builds the store, creating or migrating the schema first (on the calling thread).
         *
         * @return the store
         * @throws IllegalStateException when {@code maxBackoff} is shorter than
         *                               {@code flushInterval}, or the schema cannot be migrated
         *                               (for example, the database is unreachable)
         */
        public JdbcStore build() {
            if (maxBackoff.compareTo(flushInterval) < 0) {
                throw new IllegalStateException("maxBackoff: " + maxBackoff + " (expected: >= flushInterval "
                        + flushInterval + ")");
            }
            if (leaseTtl.compareTo(leaseHeartbeat.multipliedBy(2)) < 0) {
                throw new IllegalStateException("leaseTtl: " + leaseTtl + " (expected: >= 2 x leaseHeartbeat "
                        + leaseHeartbeat + ")");
            }
            if (bufferSize < batchSize) {
                throw new IllegalStateException("bufferSize: " + bufferSize + " (expected: >= batchSize " + batchSize + ")");
            }
            JdbcStore store = new JdbcStore(this, owned);
            try {
                if (migrate) {
                    Schema.migrate(store.db.jdbi);
                } else {
                    SchemaCheck.require(store.db.jdbi);
                }
            } catch (IllegalStateException e) {
                store.close();
                throw e;
            } catch (RuntimeException e) {
                store.close();
                throw Db.wrap("schema migration", e);
            }
            return store;
        }

        private static int atLeast(String name, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + "-" + max + ")");
            }
            return value;
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
            return value;
        }
    }
}

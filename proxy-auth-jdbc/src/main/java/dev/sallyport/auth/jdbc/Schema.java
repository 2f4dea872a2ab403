package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The module's tables, created and migrated by the module itself.
 *
 * <p>Each migration runs once, in order, and is recorded in {@code sallyport_schema_history}.
 * The whole migration runs in one transaction that first takes a transaction-scoped advisory
 * lock, so instances starting at the same time queue up behind each other: the first applies
 * what is missing, the others find nothing left to do. PostgreSQL DDL is transactional, so a
 * failure leaves the schema as it was.
 *
 * <p>Tables (all prefixed {@code sallyport_} so they can live beside an application's own):
 * <ul>
 *   <li>{@code sallyport_users}: name, PBKDF2 password hash, SHA-256 token hash (unique, the
 *       index token logins use), the four {@code Limits} fields, enabled, timestamps.</li>
 *   <li>{@code sallyport_access_log}: one row per session, keyed by (instance id, session id) so
 *       that a retried batch inserts nothing twice. Indexed by (user, time) for "recent sessions
 *       of a user", and by time (BRIN: rows arrive roughly in time order) for period scans and
 *       retention deletes.</li>
 *   <li>{@code sallyport_usage_hourly}: per user per UTC hour, bytes each way and sessions;
 *       keyed by (user, hour) for the upsert and "usage of a user", indexed by hour for
 *       "usage of everyone over a period" and "top users".</li>
 *   <li>{@code sallyport_leases} (version 3): one row per open session of a limited user, keyed
 *       by (instance id, session id), with the time it expires unless its instance's heartbeat
 *       extends it; indexed by (user, expiry) for the count under the user's lock, and by expiry
 *       for the purge of dead instances' rows.</li>
 *   <li>{@code sallyport_session_rate} (version 3): the fleet-wide session-rate token bucket of
 *       each user with a rate limit: tokens and when they were last refilled.</li>
 *   <li>Version 5 numbers users ({@code id}, an identity column that never repeats) and keys
 *       the usage by (user name, hour, user id): a name deleted and created again starts a fresh
 *       history, and the old rows stay, with the old id, reported as {@code NAME (removed)}.
 *       Usage of names that are not stored users (another auth backend) has no id.</li>
 *   <li>{@code sallyport_usage_progress} (version 5): per open session that reported progress,
 *       the bytes already added to {@code sallyport_usage_hourly}; deleted when the session's
 *       access-log row is written (see {@link UsageStatements}). Rows of an instance that
 *       crashed stay; {@code updated_at} (indexed) tells them apart.</li>
 * </ul>
 *
 * <p>Migration 6 adds {@code sallyport_users.attributes} (a JSON object of strings, {@code '{}'}
 * for existing users; see {@link UserAttributes}) and the access log's nullable {@code route} and
 * {@code upstream} (null for plain direct sessions).
 *
 * <p>Migration 4 turns {@code sallyport_access_log} into a table partitioned by UTC day, moving
 * the existing rows (see {@link AccessLogPartitions}), and adds {@code tried_user}.
 *
 * <p>Migration 2 gives each user a {@code credential_version}, drawn from one sequence and drawn
 * again by a trigger whenever {@code password_hash} or {@code token_hash} changes, and a trigger
 * that notifies {@link #NOTIFY_CHANNEL} of every change of a user (see {@link Notifications}).
 */
final class Schema {

    private static final Logger log = LoggerFactory.getLogger(Schema.class);

    /**
     * The channel the trigger of migration 2 notifies on every insert, update and delete of a
     * user, whoever makes it (this module, the command line, an operator's own SQL). The payload
     * is {@code KIND VERSION NAME}: KIND {@code I} (created), {@code U} (limits or state),
     * {@code C} (password or token replaced), {@code D} (deleted); VERSION the row's
     * credential version; NAME the rest, verbatim (at most 255 bytes, far below NOTIFY's 8000).
     */
    static final String NOTIFY_CHANNEL = "sallyport_users"; // spelled out in the trigger below

    /** Advisory lock key: "Sallypor" in ASCII, unlikely to collide with an application's own. */
    static final long LOCK_KEY = 0x53616c6c79706f72L;

    record Migration(int version, String description, List<String> statements) {
    }

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "users, access log, hourly usage", List.of(
                    """
                    CREATE TABLE sallyport_users (
                        name                      text        PRIMARY KEY
                                                              CHECK (octet_length(name) BETWEEN 1 AND 255),
                        password_hash             text        NOT NULL,
                        token_hash                text        NOT NULL UNIQUE,
                        max_sessions              integer     NOT NULL DEFAULT 0 CHECK (max_sessions >= 0),
                        sessions_per_second       integer     NOT NULL DEFAULT 0 CHECK (sessions_per_second >= 0),
                        upload_bytes_per_second   bigint      NOT NULL DEFAULT 0 CHECK (upload_bytes_per_second >= 0),
                        download_bytes_per_second bigint      NOT NULL DEFAULT 0 CHECK (download_bytes_per_second >= 0),
                        enabled                   boolean     NOT NULL DEFAULT true,
                        created_at                timestamptz NOT NULL DEFAULT now(),
                        updated_at                timestamptz NOT NULL DEFAULT now()
                    )""",
                    """
                    CREATE TABLE sallyport_access_log (
                        instance_id    uuid        NOT NULL,
                        session_id     bigint      NOT NULL,
                        started_at     timestamptz NOT NULL,
                        user_name      text,
                        client_address inet,
                        client_port    integer     NOT NULL,
                        protocol       text        NOT NULL,
                        command        text,
                        target_host    text,
                        target_port    integer     NOT NULL,
                        outcome        text        NOT NULL,
                        rule           text,
                        bytes_up       bigint      NOT NULL,
                        bytes_down     bigint      NOT NULL,
                        duration_ms    bigint      NOT NULL,
                        PRIMARY KEY (instance_id, session_id)
                    )""",
                    "CREATE INDEX sallyport_access_log_user_time ON sallyport_access_log (user_name, started_at DESC)",
                    "CREATE INDEX sallyport_access_log_time ON sallyport_access_log USING brin (started_at)",
                    """
                    CREATE TABLE sallyport_usage_hourly (
                        user_name  text        NOT NULL,
                        hour       timestamptz NOT NULL,
                        bytes_up   bigint      NOT NULL DEFAULT 0,
                        bytes_down bigint      NOT NULL DEFAULT 0,
                        sessions   bigint      NOT NULL DEFAULT 0,
                        PRIMARY KEY (user_name, hour)
                    )""",
                    "CREATE INDEX sallyport_usage_hourly_hour ON sallyport_usage_hourly (hour)")),
            new Migration(2, "credential versions, change notifications", List.of(
                    // One sequence for every user: versions only grow, across a delete and a re-create too.
                    "CREATE SEQUENCE sallyport_credential_version",
                    """
                    ALTER TABLE sallyport_users ADD COLUMN credential_version bigint NOT NULL
                        DEFAULT nextval('sallyport_credential_version')""",
                    """
                    CREATE FUNCTION sallyport_users_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF NEW.password_hash IS DISTINCT FROM OLD.password_hash
                                OR NEW.token_hash IS DISTINCT FROM OLD.token_hash THEN
                            NEW.credential_version := nextval('sallyport_credential_version');
                        END IF;
                        RETURN NEW;
                    END $$""",
                    """
                    CREATE TRIGGER sallyport_users_credentials BEFORE UPDATE ON sallyport_users
                        FOR EACH ROW EXECUTE FUNCTION sallyport_users_credentials()""",
                    """
                    CREATE FUNCTION sallyport_users_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.name <> NEW.name) THEN
                            PERFORM pg_notify('sallyport_users', 'D ' || OLD.credential_version || ' ' || OLD.name);
                        END IF;
                        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.name <> NEW.name) THEN
                            PERFORM pg_notify('sallyport_users', 'I ' || NEW.credential_version || ' ' || NEW.name);
                        ELSIF TG_OP = 'UPDATE' THEN
                            PERFORM pg_notify('sallyport_users', CASE WHEN NEW.credential_version <> OLD.credential_version THEN 'C ' ELSE 'U ' END
                                || NEW.credential_version || ' ' || NEW.name);
                        END IF;
                        RETURN NULL;
                    END $$""",
                    """
                    CREATE TRIGGER sallyport_users_notify AFTER INSERT OR UPDATE OR DELETE ON sallyport_users
                        FOR EACH ROW EXECUTE FUNCTION sallyport_users_notify()""")),
            new Migration(3, "fleet-wide limits: session leases, session rate", List.of(
                    """
                    CREATE TABLE sallyport_leases (
                        instance_id uuid        NOT NULL,
                        session_id  bigint      NOT NULL,
                        user_name   text        NOT NULL,
                        expires_at  timestamptz NOT NULL,
                        PRIMARY KEY (instance_id, session_id)
                    )""",
                    "CREATE INDEX sallyport_leases_user ON sallyport_leases (user_name, expires_at)",
                    "CREATE INDEX sallyport_leases_expiry ON sallyport_leases (expires_at)",
                    """
                    CREATE TABLE sallyport_session_rate (
                        user_name   text             PRIMARY KEY,
                        tokens      double precision NOT NULL,
                        refilled_at timestamptz      NOT NULL
                    )""")),
            new Migration(4, "access log partitioned by UTC day, tried user names", AccessLogPartitions.MIGRATION),
            new Migration(5, "stable user ids, usage of open sessions", List.of(
                    // Existing users are numbered in the order of the table; new ones draw the next.
                    "ALTER TABLE sallyport_users ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY",
                    "ALTER TABLE sallyport_users ADD CONSTRAINT sallyport_users_id_key UNIQUE (id)",
                    "ALTER TABLE sallyport_usage_hourly ADD COLUMN user_id bigint",
                    // History so far belongs to whoever holds the name now: the best the data can tell.
                    """
                    UPDATE sallyport_usage_hourly h SET user_id = u.id FROM sallyport_users u
                    WHERE u.name = h.user_name""",
                    "ALTER TABLE sallyport_usage_hourly DROP CONSTRAINT sallyport_usage_hourly_pkey",
                    """
                    CREATE UNIQUE INDEX sallyport_usage_hourly_key
                        ON sallyport_usage_hourly (user_name, hour, (coalesce(user_id, 0)))""",
                    """
                    CREATE TABLE sallyport_usage_progress (
                        instance_id uuid        NOT NULL,
                        session_id  bigint      NOT NULL,
                        bytes_up    bigint      NOT NULL,
                        bytes_down  bigint      NOT NULL,
                        updated_at  timestamptz NOT NULL,
                        PRIMARY KEY (instance_id, session_id)
                    )""",
                    "CREATE INDEX sallyport_usage_progress_updated ON sallyport_usage_progress (updated_at)")),
            new Migration(6, "user attributes, route and upstream in the access log", List.of(
                    // A constant default: existing rows read '{}' without a table rewrite.
                    """
                    ALTER TABLE sallyport_users ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'
                        CHECK (jsonb_typeof(attributes) = 'object')""",
                    // Added to the partitioned parent: every partition, and each one created later, gets them.
                    "ALTER TABLE sallyport_access_log ADD COLUMN route text, ADD COLUMN upstream text")));

    /** The version this code expects. */
    static int latest() {
        return MIGRATIONS.get(MIGRATIONS.size() - 1).version();
    }

    private Schema() {
    }

    /** Applies the missing migrations; returns how many were applied. Blocks the calling thread. */
    static int migrate(Jdbi jdbi) {
        return jdbi.inTransaction(h -> {
            // Taken before any DDL: concurrent CREATE TABLE IF NOT EXISTS is not safe on its own.
            h.createQuery("SELECT 1 FROM pg_advisory_xact_lock(:key)").bind("key", LOCK_KEY).mapTo(Integer.class).one();
            h.execute("""
                    CREATE TABLE IF NOT EXISTS sallyport_schema_history (
                        version     integer     PRIMARY KEY,
                        description text        NOT NULL,
                        applied_at  timestamptz NOT NULL DEFAULT now()
                    )""");
            int current = h.createQuery("SELECT coalesce(max(version), 0) FROM sallyport_schema_history")
                    .mapTo(Integer.class).one();
            if (current > latest()) {
                log.warn("Database schema is at version {}, newer than this build's {}; continuing, as migrations "
                        + "only add", current, latest());
                return 0;
            }
            // By version, not "above the highest": migrations 4 and 5 were written side by side, and a
            // database that got 5 first still gets 4.
            java.util.Set<Integer> done = h.createQuery("SELECT version FROM sallyport_schema_history")
                    .mapTo(Integer.class).set();
            int applied = 0;
            for (Migration migration : MIGRATIONS) {
                if (done.contains(migration.version())) {
                    continue;
                }
                for (String statement : migration.statements()) {
                    h.execute(statement);
                }
                h.createUpdate("INSERT INTO sallyport_schema_history (version, description) VALUES (:v, :d)")
                        .bind("v", migration.version())
                        .bind("d", migration.description())
                        .execute();
                log.info("Applied schema migration {} ({})", migration.version(), migration.description());
                applied++;
            }
            return applied;
        });
    }
}

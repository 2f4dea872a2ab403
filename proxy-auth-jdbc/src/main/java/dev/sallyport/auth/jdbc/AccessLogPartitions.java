package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.util.List;

/**
 * The access log's partitions: one per UTC day, named {@code sallyport_access_log_YYYYMMDD},
 * plus {@code sallyport_access_log_default}.
 *
 * <p><b>Why UTC days.</b> Instances in several time zones write to one table; a day is a range of
 * {@code started_at} in UTC, whatever the session's or the server's time zone, so every instance
 * agrees on which partition a row belongs to and which partitions are old.
 *
 * <p><b>Why a DEFAULT partition.</b> Partitions are created ahead of time (today, yesterday and
 * the next two days, at start and every hour), but a row must never be refused for want of one:
 * a clock far off, a session reported after its day was pruned, or an instance whose role may not
 * create partitions. Such rows land in the DEFAULT partition, which is normally empty. Creating a
 * day's partition moves that day's rows out of it first (under a lock, so none slips in between),
 * and pruning deletes its old rows. Creating partitions on demand from the writer instead would
 * put DDL on the write path, where a lock wait would stall accounting.
 *
 * <p><b>Privileges.</b> Creating a partition or dropping one needs ownership of the table, so both
 * are {@code SECURITY DEFINER} functions owned by the migrating role (search path pinned): a
 * serving role needs only {@code EXECUTE} on them, which is revoked from {@code PUBLIC}.
 *
 * <p><b>Several instances.</b> Both functions take one transaction-scoped advisory lock and check
 * what exists under it, so concurrent runs queue up and the later ones find nothing to do.
 */
final class AccessLogPartitions {

    /** Advisory lock key of partition maintenance: "Sallypo4" in ASCII. */
    static final long LOCK_KEY = 0x53616c6c79706f34L;

    /** Partitions created ahead of today, so that a day's first row finds its partition. */
    static final int DAYS_AHEAD = 2;

    static final List<String> MIGRATION = List.of(
            "ALTER TABLE sallyport_access_log RENAME TO sallyport_access_log_v3",
            "ALTER INDEX sallyport_access_log_pkey RENAME TO sallyport_access_log_v3_pkey",
            "ALTER INDEX sallyport_access_log_user_time RENAME TO sallyport_access_log_v3_user_time",
            "ALTER INDEX sallyport_access_log_time RENAME TO sallyport_access_log_v3_time",
            // The columns of version 1 (LIKE copies names, types and NOT NULL, not the key), plus
            // tried_user. The key must contain the partition key; a retried row has the same
            // started_at, so ON CONFLICT still makes a retried batch insert nothing twice.
            """
            CREATE TABLE sallyport_access_log (
                LIKE sallyport_access_log_v3,
                tried_user text,
                PRIMARY KEY (instance_id, session_id, started_at)
            ) PARTITION BY RANGE (started_at)""",
            "CREATE TABLE sallyport_access_log_default PARTITION OF sallyport_access_log DEFAULT",
            """
            CREATE FUNCTION sallyport_access_log_add_days(first_day date, last_day date) RETURNS integer
            LANGUAGE plpgsql SECURITY DEFINER AS $$
            DECLARE
                d     date;
                part  text;
                lo    text;
                hi    text;
                added integer := 0;
            BEGIN
                PERFORM pg_advisory_xact_lock(%d);
                FOR d IN SELECT g::date FROM generate_series(first_day, last_day, INTERVAL '1 day') AS g LOOP
                    part := 'sallyport_access_log_' || to_char(d, 'YYYYMMDD');
                    CONTINUE WHEN to_regclass(part) IS NOT NULL;
                    lo := to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00';
                    hi := to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00';
                    -- Writers wait (milliseconds) until the partition is attached: an insert routed to
                    -- DEFAULT by the old layout would otherwise fail its partition check after the attach,
                    -- and no row of the day slips into DEFAULT between the move and the attach. Readers
                    -- are not blocked.
                    LOCK TABLE sallyport_access_log IN SHARE ROW EXCLUSIVE MODE;
                    EXECUTE format('CREATE TABLE %%I (LIKE sallyport_access_log)', part);
                    EXECUTE format('WITH moved AS (DELETE FROM sallyport_access_log_default WHERE started_at >= %%L '
                        || 'AND started_at < %%L RETURNING *) INSERT INTO %%I SELECT * FROM moved', lo, hi, part);
                    EXECUTE format('ALTER TABLE sallyport_access_log ATTACH PARTITION %%I FOR VALUES FROM (%%L) TO (%%L)',
                        part, lo, hi);
                    added := added + 1;
                END LOOP;
                RETURN added;
            END $$""".formatted(LOCK_KEY),
            """
            CREATE FUNCTION sallyport_access_log_drop_before(before date) RETURNS integer
            LANGUAGE plpgsql SECURITY DEFINER SET lock_timeout = '10s' AS $$
            DECLARE
                part    text;
                dropped integer := 0;
            BEGIN
                IF before IS NULL OR before > (now() AT TIME ZONE 'UTC')::date THEN
                    RAISE EXCEPTION 'before: %% (expected: not after today, UTC)', before;
                END IF;
                PERFORM pg_advisory_xact_lock(%d);
                FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                        WHERE i.inhparent = 'sallyport_access_log'::regclass
                          AND c.relname ~ '^sallyport_access_log_[0-9]{8}$'
                          AND to_date(substr(c.relname, 22), 'YYYYMMDD') < before
                        ORDER BY 1 LOOP
                    EXECUTE format('DROP TABLE %%I', part);
                    dropped := dropped + 1;
                END LOOP;
                DELETE FROM sallyport_access_log_default
                    WHERE started_at < (to_char(before, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;
                RETURN dropped;
            END $$""".formatted(LOCK_KEY),
            """
            DO $$ BEGIN
                EXECUTE format('ALTER FUNCTION sallyport_access_log_add_days(date, date) SET search_path = %I, pg_temp',
                    current_schema());
                EXECUTE format('ALTER FUNCTION sallyport_access_log_drop_before(date) SET search_path = %I, pg_temp',
                    current_schema());
            END $$""",
            "REVOKE EXECUTE ON FUNCTION sallyport_access_log_add_days(date, date) FROM PUBLIC",
            "REVOKE EXECUTE ON FUNCTION sallyport_access_log_drop_before(date) FROM PUBLIC",
            // A partition for each day that has rows (not for the empty days between them).
            """
            DO $$ DECLARE d date; BEGIN
                FOR d IN SELECT DISTINCT (started_at AT TIME ZONE 'UTC')::date FROM sallyport_access_log_v3 LOOP
                    PERFORM sallyport_access_log_add_days(d, d);
                END LOOP;
            END $$""",
            // And the days writers need first, before any of them writes to the new layout.
            """
            DO $$ BEGIN
                PERFORM sallyport_access_log_add_days((now() AT TIME ZONE 'UTC')::date - 1,
                    (now() AT TIME ZONE 'UTC')::date + %d);
            END $$""".formatted(DAYS_AHEAD),
            """
            INSERT INTO sallyport_access_log (instance_id, session_id, started_at, user_name, client_address,
                    client_port, protocol, command, target_host, target_port, outcome, rule, bytes_up, bytes_down,
                    duration_ms)
            SELECT instance_id, session_id, started_at, user_name, client_address, client_port, protocol, command,
                   target_host, target_port, outcome, rule, bytes_up, bytes_down, duration_ms
            FROM sallyport_access_log_v3""",
            "DROP TABLE sallyport_access_log_v3",
            // Built after the move: one pass per partition instead of one update per row.
            "CREATE INDEX sallyport_access_log_user_time ON sallyport_access_log (user_name, started_at DESC)",
            "CREATE INDEX sallyport_access_log_time ON sallyport_access_log USING brin (started_at)");

    private AccessLogPartitions() {
    }

    /**
     * Creates the partitions of yesterday, today and the next {@link #DAYS_AHEAD} days (UTC, by
     * the database's clock) that are missing; returns how many it created. Blocks.
     */
    static int prepare(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("SELECT sallyport_access_log_add_days("
                        + "(now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + :ahead)")
                .bind("ahead", DAYS_AHEAD).mapTo(Integer.class).one());
    }

    /**
     * Drops the partitions of the UTC days that ended more than {@code olderThan} ago (whole
     * days, by the database's clock), and deletes such rows from the DEFAULT partition; returns
     * how many partitions it dropped. Blocks.
     */
    static int dropOlderThan(Jdbi jdbi, Duration olderThan) {
        return jdbi.withHandle(h -> h.createQuery("SELECT sallyport_access_log_drop_before("
                        + "((now() - :days * INTERVAL '1 day') AT TIME ZONE 'UTC')::date)")
                .bind("days", olderThan.toDays()).mapTo(Integer.class).one());
    }

    /** Checks a retention period: whole days, at least one. */
    static Duration days(String name, Duration value) {
        if (value == null) {
            throw new NullPointerException(name);
        }
        if (value.isNegative() || value.isZero() || !value.equals(Duration.ofDays(value.toDays()))) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: a whole number of days, >= 1)");
        }
        return value;
    }
}

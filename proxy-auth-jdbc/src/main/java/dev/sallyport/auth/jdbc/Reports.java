package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The operator queries over the usage and access-log tables. A user's usage and sessions are those
 * of the user holding the name now: usage under its id, sessions since it was created. Usage of a
 * deleted user stays and is listed as {@code NAME (removed)}.
 */
final class Reports {

    private static final String SINCE = "date_trunc('hour', (TIMESTAMPTZ 'epoch' + :since * INTERVAL '1 microsecond')"
            + " AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";
    private static final String UNTIL = "TIMESTAMPTZ 'epoch' + :until * INTERVAL '1 microsecond'";

    /** The id of the stored user holding the name now, 0 when none (usage of another backend's users has no id). */
    private static final String CURRENT_ID = "coalesce((SELECT id FROM sallyport_users WHERE name = :user), 0)";
    private static final String AT_FROM = "TIMESTAMPTZ 'epoch' + :from * INTERVAL '1 microsecond'";
    private static final String AT_TO = "TIMESTAMPTZ 'epoch' + :to * INTERVAL '1 microsecond'";

    private static final RowMapper<JdbcStore.Usage> USAGE = (rs, ctx) -> new JdbcStore.Usage(rs.getString("user_name"),
            rs.getLong("bytes_up"), rs.getLong("bytes_down"), rs.getLong("sessions"));

    private static final RowMapper<JdbcStore.HourlyUsage> HOURLY = (rs, ctx) -> new JdbcStore.HourlyUsage(
            rs.getString("user_name"), JdbcUsers.instant(rs, "hour"), rs.getLong("bytes_up"), rs.getLong("bytes_down"),
            rs.getLong("sessions"));

    private static final RowMapper<JdbcStore.SessionRecord> SESSION = (rs, ctx) -> new JdbcStore.SessionRecord(
            JdbcUsers.instant(rs, "started_at"), rs.getString("user_name"), rs.getString("client_address"),
            rs.getInt("client_port"), protocol(rs.getString("protocol")), command(rs.getString("command")),
            rs.getString("target_host"), rs.getInt("target_port"), outcome(rs.getString("outcome")),
            rs.getString("rule"), rs.getLong("bytes_up"), rs.getLong("bytes_down"),
            Duration.ofMillis(rs.getLong("duration_ms")));

    private final Db db;

    Reports(Db db) {
        this.db = db;
    }

    CompletionStage<List<JdbcStore.Usage>> usage(Instant since, Instant until, String orderBy, int limit) {
        return db.submit("usage query", () -> db.jdbi.withHandle(h -> h.createQuery(
                        "SELECT * FROM (SELECT CASE WHEN h.user_id IS NOT NULL AND su.id IS NULL "
                                + "THEN h.user_name || ' (removed)' ELSE h.user_name END AS user_name, "
                                + "sum(bytes_up) AS bytes_up, sum(bytes_down) AS bytes_down, sum(sessions) AS sessions "
                                + "FROM sallyport_usage_hourly h LEFT JOIN sallyport_users su ON su.id = h.user_id "
                                + "WHERE hour >= " + SINCE + " AND hour < " + UNTIL
                                + " GROUP BY 1) usage ORDER BY " + orderBy + " LIMIT :limit")
                .bind("since", micros(since))
                .bind("until", micros(until))
                .bind("limit", limit)
                .map(USAGE).list()));
    }

    CompletionStage<List<JdbcStore.HourlyUsage>> hourly(String user, Instant since, Instant until) {
        return db.submit("usage query", () -> db.jdbi.withHandle(h -> h.createQuery(
                        "SELECT user_name, hour, bytes_up, bytes_down, sessions FROM sallyport_usage_hourly "
                                + "WHERE user_name = :user AND coalesce(user_id, 0) = " + CURRENT_ID
                                + " AND hour >= " + SINCE + " AND hour < " + UNTIL
                                + " ORDER BY hour")
                .bind("user", user)
                .bind("since", micros(since))
                .bind("until", micros(until))
                .map(HOURLY).list()));
    }

    /**
     * The user's sessions (of the current holder of the name) within [since, until), newest
     * first; {@link Instant#EPOCH} and {@link Instant#MAX} stand for no bound. The access log is
     * partitioned by day and a query over all of it probes every day's index: a window reaching
     * back further than a week reads the last week first, the rest only when the week has too few.
     */
    CompletionStage<List<JdbcStore.SessionRecord>> recentSessions(String user, Instant since, Instant until, int limit) {
        return db.submit("sessions query", () -> db.jdbi.withHandle(h -> {
            Instant weekAgo = Instant.now().minus(RECENT);
            if (since.isBefore(weekAgo)) {
                List<JdbcStore.SessionRecord> week = sessions(h, user, weekAgo, until, limit);
                if (week.size() >= limit) {
                    return week;
                }
            }
            return sessions(h, user, since, until, limit);
        }));
    }

    private static final Duration RECENT = Duration.ofDays(7);

    /** Bounds only as literal conditions, so that the planner prunes the day partitions outside them. */
    private static List<JdbcStore.SessionRecord> sessions(org.jdbi.v3.core.Handle h, String user, Instant since,
                                                          Instant until, int limit) {
        boolean from = !since.equals(Instant.EPOCH);
        boolean to = !until.equals(Instant.MAX);
        org.jdbi.v3.core.statement.Query query = h.createQuery(
                "SELECT started_at, user_name, host(client_address) AS client_address, client_port, protocol, "
                        + "command, target_host, target_port, outcome, rule, bytes_up, bytes_down, duration_ms "
                        + "FROM sallyport_access_log WHERE user_name = :user "
                        + "AND started_at >= coalesce((SELECT created_at FROM sallyport_users WHERE name = :user), "
                        + "'-infinity') "
                        + (from ? "AND started_at >= " + AT_FROM + " " : "")
                        + (to ? "AND started_at < " + AT_TO + " " : "")
                        + "ORDER BY started_at DESC, session_id DESC LIMIT :limit")
                .bind("user", user)
                .bind("limit", limit);
        if (from) {
            query.bind("from", micros(since));
        }
        if (to) {
            query.bind("to", micros(until));
        }
        return query.map(SESSION).list();
    }

    /** {@code query}, or a failed stage naming the argument that is not valid. */
    static <T> CompletionStage<T> ofUser(String user, int limit, Instant since, Instant until,
                                         Supplier<CompletionStage<T>> query) {
        return user == null ? CompletableFuture.failedFuture(new NullPointerException("user"))
                : limited(limit, since, until, query);
    }

    /** {@code query}, or a failed stage naming the argument that is not valid. */
    static <T> CompletionStage<T> limited(int limit, Instant since, Instant until, Supplier<CompletionStage<T>> query) {
        if (limit < 1) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("limit: " + limit + " (expected: >= 1)"));
        }
        if (since == null || until == null) {
            return CompletableFuture.failedFuture(new NullPointerException(since == null ? "since" : "until"));
        }
        if (!since.isBefore(until)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("since: " + since
                    + " (expected: before until " + until + ")"));
        }
        return query.get();
    }

    static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }

    private static Protocol protocol(String id) {
        for (Protocol protocol : Protocol.values()) {
            if (protocol.id().equals(id)) {
                return protocol;
            }
        }
        return null;
    }

    private static Command command(String name) {
        try {
            return name == null ? null : Command.valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Outcome outcome(String name) {
        try {
            return Outcome.valueOf(name);
        } catch (IllegalArgumentException | NullPointerException e) {
            // Written by a newer version with an outcome this one does not know.
            return Outcome.ERROR;
        }
    }
}

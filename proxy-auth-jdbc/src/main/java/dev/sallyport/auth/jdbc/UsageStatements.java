package dev.sallyport.auth.jdbc;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.SessionSummary;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Update;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * The two accounting statements, each one statement per batch so that it commits or fails as a
 * whole.
 *
 * <p><b>Closed sessions</b> insert their access-log rows with {@code ON CONFLICT (instance_id,
 * session_id, started_at) DO NOTHING RETURNING ...}, delete the progress rows of the sessions inserted, and add
 * to the hourly usage exactly what was inserted minus what progress rows already added: a retried
 * or replayed batch inserts nothing, so adds nothing. The session counts once, in the hour it
 * started; its bytes not yet accounted go in the hour it started when it never reported progress,
 * otherwise in the hour it ended.
 *
 * <p><b>User.</b> Usage goes to the user who holds the name when it is written (its id from
 * {@code sallyport_users}, or none for a name that is not a stored user): a name deleted and
 * created again starts a fresh history. A record written after its user was deleted and created
 * again (seconds apart, or a spool replayed later) counts for the new one.
 *
 * <p><b>Route.</b> Each row carries the session's {@code route} unless it was plain direct, and the
 * {@code upstream} (group and proxy) it went through, as the text access log does.
 *
 * <p><b>Progress</b> of open sessions (totals so far) upserts {@code sallyport_usage_progress}
 * keeping the larger totals, and adds to the usage of the hour it is written the difference to
 * the totals stored before: a retried batch finds its own totals and adds nothing.
 */
final class UsageStatements {

    private static final String COLUMNS = "instance_id, session_id, started_at, user_name, client_address, client_port, "
            + "protocol, command, target_host, target_port, outcome, rule, bytes_up, bytes_down, duration_ms, tried_user, "
            + "route, upstream";
    private static final String ROW = "(CAST(? AS uuid), ?, TIMESTAMPTZ 'epoch' + ? * INTERVAL '1 microsecond', ?, "
            + "CAST(? AS inet), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String HOUR = "date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";
    private static final String ADD_USAGE = """
            INSERT INTO sallyport_usage_hourly AS u (user_name, user_id, hour, bytes_up, bytes_down, sessions)
            SELECT r.user_name, su.id, %s, sum(up), sum(down), sum(sessions)
            FROM rows r LEFT JOIN sallyport_users su ON su.name = r.user_name WHERE r.user_name IS NOT NULL
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (user_name, hour, (coalesce(user_id, 0))) DO UPDATE SET bytes_up = u.bytes_up + EXCLUDED.bytes_up,
                bytes_down = u.bytes_down + EXCLUDED.bytes_down, sessions = u.sessions + EXCLUDED.sessions""".formatted(HOUR);

    private UsageStatements() {
    }

    /** Writes the summaries of closed sessions of instance {@code instanceId}; see the class comment. */
    static void closed(Handle h, String instanceId, List<SessionSummary> batch) {
        StringBuilder sql = new StringBuilder(1024 + batch.size() * (ROW.length() + 4))
                .append("WITH inserted AS (INSERT INTO sallyport_access_log (").append(COLUMNS).append(") VALUES ");
        for (int i = 0; i < batch.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(ROW);
        }
        sql.append("""
                 ON CONFLICT (instance_id, session_id, started_at) DO NOTHING
                 RETURNING instance_id, session_id, user_name, started_at, duration_ms, bytes_up, bytes_down),
                done AS (DELETE FROM sallyport_usage_progress p USING inserted i
                         WHERE p.instance_id = i.instance_id AND p.session_id = i.session_id
                         RETURNING p.instance_id, p.session_id, p.bytes_up, p.bytes_down),
                rows AS (SELECT i.user_name,
                                CASE WHEN d.session_id IS NULL THEN i.started_at
                                     ELSE i.started_at + i.duration_ms * INTERVAL '1 millisecond' END AS at,
                                i.bytes_up - coalesce(d.bytes_up, 0) AS up, i.bytes_down - coalesce(d.bytes_down, 0) AS down,
                                0 AS sessions
                         FROM inserted i LEFT JOIN done d ON d.instance_id = i.instance_id AND d.session_id = i.session_id
                         UNION ALL
                         SELECT user_name, started_at, 0, 0, 1 FROM inserted)
                """).append(ADD_USAGE);
        Update update = h.createUpdate(sql.toString());
        int p = 0;
        for (SessionSummary s : batch) {
            update.bind(p++, instanceId)
                    .bind(p++, s.id())
                    .bind(p++, Reports.micros(s.started()))
                    .bind(p++, text(s.user()))
                    .bind(p++, address(s.client()))
                    .bind(p++, s.client().getPort())
                    .bind(p++, s.protocol().id())
                    .bind(p++, s.command() == null ? null : s.command().name())
                    .bind(p++, text(s.targetHost()))
                    .bind(p++, s.targetPort())
                    .bind(p++, s.outcome().name())
                    .bind(p++, text(s.rule()))
                    .bind(p++, s.bytesUp())
                    .bind(p++, s.bytesDown())
                    .bind(p++, s.duration().toMillis())
                    .bind(p++, text(s.triedUser()))
                    .bind(p++, text(route(s)))
                    .bind(p++, text(s.upstream()));
        }
        update.execute();
    }

    /**
     * The route to log: null for a plain direct session, like the text access log, so that only
     * the sessions routing changed something for carry one.
     */
    static String route(SessionSummary s) {
        return s.route() == null || s.route().equals("direct") ? null : s.route();
    }

    /** Deletes the progress rows not updated for {@code age}: their instance stopped without closing the sessions. */
    static int forgetStaleProgress(Jdbi jdbi, Duration age) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM sallyport_usage_progress WHERE updated_at < now() - "
                + "CAST(? AS bigint) * INTERVAL '1 second'").bind(0, age.toSeconds()).execute());
    }

    /** Accounts the totals so far of open sessions of instance {@code instanceId} at {@code at}; see the class comment. */
    static void progress(Handle h, String instanceId, Collection<LiveSession> sessions, Instant at) {
        StringBuilder sql = new StringBuilder(1024 + sessions.size() * 40).append("WITH reported (session_id, user_name, "
                + "bytes_up, bytes_down) AS (VALUES ");
        for (int i = 0; i < sessions.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("(CAST(? AS bigint), CAST(? AS text), CAST(? AS bigint), CAST(? AS bigint))");
        }
        sql.append("""
                ),
                before AS (SELECT p.session_id, p.bytes_up, p.bytes_down FROM sallyport_usage_progress p
                           JOIN reported r ON p.instance_id = CAST(? AS uuid) AND p.session_id = r.session_id),
                saved AS (INSERT INTO sallyport_usage_progress AS p (instance_id, session_id, bytes_up, bytes_down, updated_at)
                          SELECT CAST(? AS uuid), session_id, bytes_up, bytes_down, now() FROM reported
                          ON CONFLICT (instance_id, session_id) DO UPDATE
                          SET bytes_up = greatest(p.bytes_up, EXCLUDED.bytes_up),
                              bytes_down = greatest(p.bytes_down, EXCLUDED.bytes_down), updated_at = now()),
                rows AS (SELECT r.user_name, TIMESTAMPTZ 'epoch' + ? * INTERVAL '1 microsecond' AS at,
                                greatest(r.bytes_up - coalesce(b.bytes_up, 0), 0) AS up,
                                greatest(r.bytes_down - coalesce(b.bytes_down, 0), 0) AS down, 0 AS sessions
                         FROM reported r LEFT JOIN before b ON b.session_id = r.session_id)
                """).append(ADD_USAGE);
        Update update = h.createUpdate(sql.toString());
        int p = 0;
        for (LiveSession s : sessions) {
            update.bind(p++, s.id()).bind(p++, text(s.user())).bind(p++, s.bytesUp()).bind(p++, s.bytesDown());
        }
        // In the order they appear in the text: before, saved, rows.
        update.bind(p++, instanceId).bind(p++, instanceId).bind(p, Reports.micros(at));
        update.execute();
    }

    /** PostgreSQL text cannot hold NUL, and target names come from clients: never let one poison a batch. */
    static String text(String value) {
        return value == null || value.indexOf('\0') < 0 ? value : value.replace('\0', '\uFFFD');
    }

    static String address(InetSocketAddress client) {
        InetAddress ip = client.getAddress();
        if (ip == null) {
            return null;
        }
        String text = ip.getHostAddress();
        int scope = text.indexOf('%');
        return scope < 0 ? text : text.substring(0, scope);
    }
}

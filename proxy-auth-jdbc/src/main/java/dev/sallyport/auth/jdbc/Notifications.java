package dev.sallyport.auth.jdbc;

import dev.sallyport.api.UserStore;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Hears about every change of a user, whoever made it, through {@code LISTEN} on
 * {@link Schema#NOTIFY_CHANNEL} (the trigger of schema migration 2 notifies it), and tells the
 * store's listeners: {@code C} and {@code I} as {@link UserStore.Listener#credentialsChanged}, the
 * other kinds as {@link UserStore.Listener#userChanged}.
 *
 * <p>One connection of its own, held for the store's life and never from a pool: a pooled data
 * source that wraps a {@link PGSimpleDataSource} is unwrapped, any other is asked
 * for one connection. One daemon thread, {@code sallyport-jdbc-notify}, waits on it at most
 * {@value #POLL_MILLIS} ms at a time (so {@link #close()} returns within about that) and checks
 * the connection with {@code SELECT 1} after {@value #KEEPALIVE_SECONDS} s of silence, so a dead
 * network is noticed too.
 *
 * <p><b>Outage.</b> A lost connection is logged once at WARN (SQLState only: no URL, no
 * password), then re-opened with exponential back-off from 100 ms up to the store's
 * {@code maxBackoff}. What was notified meanwhile is lost, so once {@code LISTEN} is back the
 * listeners hear {@link UserStore.Listener#everythingChanged}, then
 * {@link UserStore.Listener#credentialsChanged} with the current version of every user: core
 * forgets its cached logins, re-checks the users with open sessions and closes the sessions
 * opened with replaced credentials. Every event may arrive twice; listeners are idempotent.
 */
final class Notifications implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Notifications.class);

    /** The {@code application_name} of the listening connection, to find it in {@code pg_stat_activity}. */
    static final String APPLICATION_NAME = "sallyport-notify";
    static final int POLL_MILLIS = 250;
    static final int KEEPALIVE_SECONDS = 10;
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final DataSource dataSource;
    private final JdbcUsers users;
    private final long maxBackoffNanos;
    private final Thread thread;
    private final Object wake = new Object();
    private volatile boolean closed;
    /** The connection being listened on, closed by {@link #close()} if the thread does not stop in time. */
    private volatile Connection current;

    Notifications(DataSource dataSource, JdbcUsers users, Duration maxBackoff) {
        this.dataSource = dataSource;
        this.users = users;
        this.maxBackoffNanos = Math.max(FIRST_BACKOFF_NANOS, maxBackoff.toNanos());
        this.thread = new Thread(this::run, "sallyport-jdbc-notify");
        this.thread.setDaemon(true);
    }

    Notifications start() {
        thread.start();
        return this;
    }

    private void run() {
        long backoff = FIRST_BACKOFF_NANOS;
        int failures = 0;
        boolean missed = false;
        while (!closed) {
            try (Connection connection = open()) {
                current = connection;
                PGConnection pg = listen(connection);
                if (missed) {
                    log.info("Listening for user changes again after {} failed attempt(s); re-checking cached logins "
                            + "and open sessions", failures);
                    resync(connection);
                }
                missed = false;
                failures = 0;
                backoff = FIRST_BACKOFF_NANOS;
                receive(connection, pg);
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    break;
                }
                missed = true;
                if (failures++ == 0) {
                    log.warn("Cannot listen for user changes{}; changes made elsewhere apply once listening again "
                            + "(retrying with back-off up to {} s)", Db.describe(e),
                            TimeUnit.NANOSECONDS.toSeconds(maxBackoffNanos));
                } else {
                    log.debug("Notification connection attempt {} failed{}", failures, Db.describe(e));
                }
                pause(backoff);
                backoff = Math.min(backoff * 2, maxBackoffNanos);
            } finally {
                current = null;
            }
        }
    }

    /** A connection of its own, not borrowed from a pool when that can be avoided. */
    private Connection open() throws SQLException {
        Connection connection = Db.direct(dataSource).getConnection();
        try {
            connection.setAutoCommit(true);
            // Bounds the keep-alive check on a dead network; waiting for notifications sets its own.
            connection.setNetworkTimeout(Runnable::run, (int) TimeUnit.SECONDS.toMillis(KEEPALIVE_SECONDS));
            return connection;
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private static PGConnection listen(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        try (Statement statement = connection.createStatement()) {
            // One round trip: idle under this name means listening (tests wait for that).
            statement.execute("SET application_name = '" + APPLICATION_NAME + "'; LISTEN " + Schema.NOTIFY_CHANNEL);
        }
        return pg;
    }

    /** Dispatches notifications until closed or the connection fails. */
    private void receive(Connection connection, PGConnection pg) throws SQLException {
        long quietSince = System.nanoTime();
        while (!closed) {
            PGNotification[] received = pg.getNotifications(POLL_MILLIS);
            if (received != null && received.length > 0) {
                for (PGNotification notification : received) {
                    if (Schema.NOTIFY_CHANNEL.equals(notification.getName())) {
                        dispatch(notification.getParameter());
                    }
                }
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(KEEPALIVE_SECONDS)) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT 1");
                }
                quietSince = System.nanoTime();
            }
        }
    }

    /** {@code KIND VERSION NAME}, as {@link Schema#NOTIFY_CHANNEL} documents; anything else is ignored. */
    void dispatch(String payload) {
        int end = payload.indexOf(' ', 2);
        if (payload.length() < 5 || payload.charAt(1) != ' ' || end < 0) {
            log.debug("Ignoring a malformed user change notification");
            return;
        }
        long version;
        try {
            version = Long.parseLong(payload, 2, end, 10);
        } catch (NumberFormatException e) {
            log.debug("Ignoring a user change notification without a version");
            return;
        }
        String name = payload.substring(end + 1);
        switch (payload.charAt(0)) {
            // A user created anew (after a delete, or a rename) has new credentials too: sessions
            // of an earlier user of that name close.
            case 'C', 'I' -> users.fire(listener -> listener.credentialsChanged(name, version));
            case 'U', 'D' -> users.fire(listener -> listener.userChanged(name));
            default -> log.debug("Ignoring a user change notification of unknown kind {}", payload.charAt(0));
        }
    }

    /** After missed notifications: everything may have changed, and every user's credentials. */
    private void resync(Connection connection) throws SQLException {
        users.fire(UserStore.Listener::everythingChanged);
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false); // a cursor, so that a large table is read in chunks
        try (Statement statement = connection.createStatement()) {
            statement.setFetchSize(1000);
            try (ResultSet rows = statement.executeQuery("SELECT name, credential_version FROM sallyport_users")) {
                while (rows.next()) {
                    String name = rows.getString(1);
                    long version = rows.getLong(2);
                    users.fire(listener -> listener.credentialsChanged(name, version));
                }
            }
        } finally {
            connection.commit();
            connection.setAutoCommit(autoCommit);
        }
    }

    private void pause(long nanos) {
        long deadline = System.nanoTime() + nanos;
        synchronized (wake) {
            long left;
            while (!closed && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(wake, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops the thread and closes its connection; waits for both. Idempotent. */
    @Override
    public void close() {
        closed = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(KEEPALIVE_SECONDS));
            if (thread.isAlive()) {
                Connection connection = current;
                if (connection != null) {
                    connection.abort(Runnable::run);
                }
                thread.join(TimeUnit.SECONDS.toMillis(KEEPALIVE_SECONDS));
            }
        } catch (SQLException e) {
            log.debug("Cannot abort the notification connection", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "Notifications";
    }
}

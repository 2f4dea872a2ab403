package dev.sallyport.auth.jdbc;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;

import javax.sql.DataSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proxy instances sharing one PostgreSQL database, as a fleet runs them: each its own
 * {@link JdbcStore} and {@link ProxyManager}, with a recorder of its sessions.
 */
final class Fleet {

    /** One instance: its store, its proxy and what its sessions reported. */
    record Instance(JdbcStore store, ProxyManager proxy, SessionRecorder sessions) implements AutoCloseable {

        static Instance start(DataSource ds) {
            JdbcStore store = JdbcStore.create(ds);
            SessionRecorder sessions = new SessionRecorder();
            ProxyManager proxy = ProxyManager.builder().socks5(0).auth(store).metrics(sessions).start();
            return new Instance(store, proxy, sessions);
        }

        /** Logs in and opens a tunnel to {@code target}, checked with one echo; left open. */
        Socks5Client tunnel(String user, String secret, InetSocketAddress target) throws IOException {
            Socks5Client client = Socks5Client.open(proxy.address("socks5"));
            assertThat(client.login(user, secret)).as("login status of %s", user).isZero();
            assertThat(client.connect(target).rep()).as("CONNECT reply").isZero();
            echo(client, new byte[] {1, 2, 3});
            return client;
        }

        /** The SOCKS5 login status of {@code user} on this instance: 0 accepted, else refused. */
        int login(String user, String secret) throws IOException {
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                return client.login(user, secret);
            }
        }

        @Override
        public void close() {
            proxy.close();
            store.close();
        }
    }

    private Fleet() {
    }

    /** Sends {@code data} through an open tunnel to an echo server and checks it comes back. */
    static void echo(Socks5Client client, byte[] data) throws IOException {
        client.out().write(data);
        client.out().flush();
        assertThat(client.in().readNBytes(data.length)).isEqualTo(data);
    }

    /** Waits until the proxy closes the tunnel: the client reads the end of the stream (or a reset). */
    static void awaitClosed(Socks5Client client) throws IOException {
        client.socket().setSoTimeout((int) Duration.ofSeconds(30).toMillis());
        try {
            byte[] rest = client.in().readAllBytes();
            assertThat(rest).as("bytes after the close").isEmpty();
        } catch (java.net.SocketException reset) {
            // Closed with a reset: closed all the same.
        }
    }

    /** Waits until {@code count} notification listeners of this database are listening. */
    static void awaitListening(DataSource ds, int count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> TestDatabase.count(ds, """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = '%s' AND state = 'idle'"""
                .formatted(Notifications.APPLICATION_NAME)) == count);
    }

    /** Ends every notification listener's connection to this database, waiting until each is gone. */
    static String terminateListeners() {
        return """
                SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = '%s'"""
                .formatted(Notifications.APPLICATION_NAME);
    }

    /** Runs SQL statements in one transaction. */
    static void sql(DataSource ds, String... statements) {
        try (java.sql.Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (java.sql.Statement s = c.createStatement()) {
                for (String statement : statements) {
                    s.execute(statement);
                }
            }
            c.commit();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(Arrays.toString(statements), e);
        }
    }
}

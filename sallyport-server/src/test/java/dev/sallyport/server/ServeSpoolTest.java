package dev.sallyport.server;

import dev.sallyport.testkit.TcpServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} stopped by SIGTERM while PostgreSQL is down: the buffered records go to the spool
 * and the next start writes them once; a spool that cannot be written is an ERROR and exit 1.
 */
@Timeout(240)
class ServeSpoolTest {

    /** The server's own logback.xml (INFO on stderr), not the tests' (WARN on stdout). */
    private static final List<String> PRODUCT_LOGGING = List.of("-Dlogback.configurationFile="
            + Path.of("target", "classes", "logback.xml").toAbsolutePath());

    @TempDir
    Path dir;
    private Path data;
    private int port;
    private EmbeddedPostgres pg;
    private String url;

    private EmbeddedPostgres postgres(int onPort) throws Exception {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false)
                .setServerConfig("listen_addresses", "127.0.0.1").setPGStartupWait(Duration.ofSeconds(60));
        if (onPort != 0) {
            builder.setPort(onPort);
        }
        return builder.start();
    }

    @BeforeEach
    void start() throws Exception {
        data = Files.createDirectories(dir.resolve("pg"));
        pg = postgres(0);
        port = pg.getPort();
        url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    @AfterEach
    void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    private String addUser() throws Exception {
        try (ServerProcess add = ServerProcess.start("users", "add", "sam", "--jdbc-url", url, "--jdbc-user", "postgres")) {
            assertThat(add.awaitExit()).as(add.stderr()).isZero();
            return add.remainingStdout().stream().filter(l -> l.startsWith("password ")).findFirst().orElseThrow()
                    .substring("password ".length()).trim();
        }
    }

    /** Serves one tunnel of {@code bytes}, stops PostgreSQL before the tunnel ends, then SIGTERM; returns the exit status. */
    private int tunnelThroughAnOutage(String password, String spoolDir, int bytes, StringBuilder stderr) throws Exception {
        return tunnelThroughAnOutage(password, spoolDir, bytes, stderr, () -> { });
    }

    /** As above, running {@code beforeStop} just before the SIGTERM. */
    private int tunnelThroughAnOutage(String password, String spoolDir, int bytes, StringBuilder stderr,
                                      ThrowingRunnable beforeStop) throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start(PRODUCT_LOGGING, "serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-user",
                     "postgres", "--spool-dir", spoolDir)) {
            var socks = server.awaitReady().get(0).address();
            Authenticator.setDefault(new Authenticator() {
                @Override
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication("sam", password.toCharArray());
                }
            });
            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, socks))) {
                tunnel.connect(echo.address(), 30_000); // the first login hashes a password on a busy machine
                pg.close();
                pg = null;
                tunnel.getOutputStream().write(new byte[bytes]);
                tunnel.shutdownOutput();
                assertThat(tunnel.getInputStream().readAllBytes()).hasSize(bytes);
            } finally {
                Authenticator.setDefault(null);
            }
            beforeStop.run();
            server.process.destroy(); // SIGTERM
            int exit = server.awaitExit();
            stderr.append(server.stderr());
            return exit;
        }
    }

    private List<Long> accessLog() throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*), coalesce(sum(bytes_up), 0) "
                     + "FROM sallyport_access_log WHERE user_name = 'sam'")) {
            rs.next();
            return List.of(rs.getLong(1), rs.getLong(2));
        }
    }

    @Test
    void sigtermDuringOutage_spools_nextStartWritesTheRecordOnce() throws Exception {
        String password = addUser();
        Path spool = dir.resolve("spool");
        StringBuilder stderr = new StringBuilder();
        assertThat(tunnelThroughAnOutage(password, spool.toString(), 4321, stderr)).as(stderr.toString()).isZero();
        try (Stream<Path> files = Files.list(spool)) {
            assertThat(files.toList()).hasSize(1);
        }

        pg = postgres(port);
        try (ServerProcess server = ServerProcess.start(PRODUCT_LOGGING, "serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-user",
                "postgres", "--spool-dir", spool.toString())) {
            server.awaitReady();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> accessLog().get(0) == 1);
            server.process.destroy();
            assertThat(server.awaitExit()).isZero();
        }
        assertThat(accessLog()).containsExactly(1L, 4321L);
        try (Stream<Path> files = Files.list(spool)) {
            assertThat(files.toList()).isEmpty();
        }
    }

    @Test
    void sigtermDuringOutage_spoolUnwritableSinceStart_isAnErrorAndExitOne() throws Exception {
        String password = addUser();
        Path spool = dir.resolve("spool");
        StringBuilder stderr = new StringBuilder();
        // Writable when checked at start; a file has taken its place by the shutdown that needs it.
        int exit = tunnelThroughAnOutage(password, spool.toString(), 100, stderr, () -> {
            Files.delete(spool);
            Files.writeString(spool, "x");
        });
        assertThat(exit).as(stderr.toString()).isEqualTo(1);
        assertThat(Files.readString(spool)).isEqualTo("x");
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}

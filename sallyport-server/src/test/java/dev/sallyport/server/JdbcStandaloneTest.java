package dev.sallyport.server;

import dev.sallyport.testkit.TcpServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Authenticator;
import java.net.InetAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standalone server against a real PostgreSQL: users managed with {@code sallyport users},
 * a login through {@code serve --jdbc-url}, and {@code stats} showing exactly what was moved.
 */
@Timeout(180)
class JdbcStandaloneTest {

    private static EmbeddedPostgres postgres;
    private static String url;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
                .setPGStartupWait(Duration.ofSeconds(60)).start();
        url = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    private static List<String> run(String... args) throws Exception {
        try (ServerProcess process = ServerProcess.start(args)) {
            int exit = process.awaitExit();
            List<String> lines = new ArrayList<>(process.remainingStdout());
            assertThat(exit).as(String.join(" ", args) + "\n" + process.stderr()).isZero();
            return lines;
        }
    }

    @Test
    void usersAdd_serve_login_stats_showTheBytes() throws Exception {
        List<String> added = run("users", "add", "alice", "--jdbc-url", url, "--jdbc-user", "postgres", "--bandwidth", "10M");
        String password = added.stream().filter(l -> l.startsWith("password ")).findFirst().orElseThrow()
                .substring("password ".length()).trim();
        assertThat(added).anySatisfy(l -> assertThat(l).startsWith("token "));
        assertThat(run("users", "list", "--jdbc-url", url, "--jdbc-user", "postgres"))
                .anySatisfy(l -> assertThat(l).startsWith("alice").contains("enabled"));

        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-user", "postgres")) {
            var socks = server.awaitReady().get(0).address();
            Authenticator.setDefault(new Authenticator() {
                @Override
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication("alice", password.toCharArray());
                }
            });
            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, socks))) {
                tunnel.connect(echo.address(), 5000);
                tunnel.getOutputStream().write(new byte[12345]);
                tunnel.shutdownOutput();
                assertThat(tunnel.getInputStream().readAllBytes()).hasSize(12345);
            } finally {
                Authenticator.setDefault(null);
            }
            server.process.destroy(); // SIGTERM flushes the accounting buffer before exiting
            assertThat(server.awaitExit()).isZero();
        }

        String json = String.join("\n", run("stats", "--jdbc-url", url, "--jdbc-user", "postgres", "--format", "json"));
        assertThat(json).contains("{\"user\":\"alice\",\"bytesUp\":12345,\"bytesDown\":12345,\"sessions\":1}");
        assertThat(String.join("\n", run("stats", "--jdbc-url", url, "--jdbc-user", "postgres", "--user", "alice")))
                .contains("127.0.0.1:");

        run("users", "disable", "alice", "--jdbc-url", url, "--jdbc-user", "postgres");
        assertThat(run("users", "list", "--jdbc-url", url, "--jdbc-user", "postgres"))
                .anySatisfy(l -> assertThat(l).startsWith("alice").contains("disabled"));
    }

    @Test
    void unreachableDatabase_exitsOneWithOneLine() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String deadUrl = "jdbc:postgresql://127.0.0.1:" + closed + "/nothing";
        for (String[] args : List.of(new String[] {"users", "list", "--jdbc-url", deadUrl},
                new String[] {"serve", "--socks5", "0", "--jdbc-url", deadUrl, "--jdbc-password", "hunter2"})) {
            try (ServerProcess process = ServerProcess.start(args)) {
                assertThat(process.awaitExit()).as(process.stderr()).isEqualTo(1);
                List<String> errors = process.stderr().lines().filter(l -> l.startsWith("sallyport:")).toList();
                assertThat(errors).hasSize(1);
                assertThat(process.stderr()).doesNotContain("hunter2");
            }
        }
    }
}

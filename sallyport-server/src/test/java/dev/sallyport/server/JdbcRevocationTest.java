package dev.sallyport.server;

import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.SocketException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code sallyport users disable} (a process of its own) closes the user's open tunnel through a
 * running {@code serve --jdbc-url}: the server hears of it through PostgreSQL {@code LISTEN/NOTIFY}.
 */
@Timeout(180)
class JdbcRevocationTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    private static List<String> run(String... args) throws Exception {
        try (ServerProcess process = ServerProcess.start(args)) {
            int exit = process.awaitExit();
            List<String> lines = process.remainingStdout();
            assertThat(exit).as(String.join(" ", args) + "\n" + process.stderr()).isZero();
            return lines;
        }
    }

    private static long listeners(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                     + "'sallyport-notify' AND state = 'idle'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void usersDisable_fromAnotherProcess_closesTheOpenTunnelOfARunningServer() throws Exception {
        String url = postgres.url();
        List<String> added = run("users", "add", "alice", "--jdbc-url", url, "--jdbc-user", "postgres");
        String password = added.stream().filter(l -> l.startsWith("password ")).findFirst().orElseThrow()
                .substring("password ".length()).trim();

        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--jdbc-url", url,
                "--jdbc-user", "postgres")) {
            var socks = server.awaitReady().get(0).address();
            await().atMost(Duration.ofSeconds(30)).until(() -> listeners(url) == 1);
            try (Socks5Client tunnel = Socks5Client.open(socks)) {
                assertThat(tunnel.login("alice", password)).isZero();
                assertThat(tunnel.connect(echo.address()).rep()).isZero();
                tunnel.out().write(new byte[] {1, 2, 3});
                tunnel.out().flush();
                assertThat(tunnel.in().readNBytes(3)).containsExactly(1, 2, 3);

                run("users", "disable", "alice", "--jdbc-url", url, "--jdbc-user", "postgres");

                tunnel.socket().setSoTimeout((int) Duration.ofSeconds(30).toMillis());
                try {
                    assertThat(tunnel.in().readAllBytes()).isEmpty();
                } catch (SocketException reset) {
                    // Closed with a reset: closed all the same.
                }
            }
            server.process.destroy();
            assertThat(server.awaitExit()).isZero();
        }
    }
}

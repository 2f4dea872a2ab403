package dev.sallyport.server;

import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Two {@code serve --jdbc-url} processes on one database count a user's sessions together. */
@Timeout(180)
class ServeFleetTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    @Test
    void twoServersOnOneDatabase_maxSessions1_theSecondSessionRefusedOnTheOtherServer() throws Exception {
        String url = postgres.url();
        List<String> added;
        try (ServerProcess users = ServerProcess.start("users", "add", "alice", "--jdbc-url", url, "--jdbc-user",
                "postgres", "--max-sessions", "1")) {
            assertThat(users.awaitExit()).as(users.stderr()).isZero();
            added = users.remainingStdout();
        }
        String password = added.stream().filter(l -> l.startsWith("password ")).findFirst().orElseThrow()
                .substring("password ".length()).trim();

        try (TcpServer echo = TcpServer.echo();
             ServerProcess a = ServerProcess.start("serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-user", "postgres");
             ServerProcess b = ServerProcess.start("serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-user", "postgres")) {
            InetSocketAddress first = a.awaitReady().get(0).address();
            InetSocketAddress second = b.awaitReady().get(0).address();
            try (Socks5Client open = Socks5Client.open(first)) {
                assertThat(open.login("alice", password)).isZero();
                assertThat(open.connect("127.0.0.1", echo.port()).rep()).isZero();
                try (Socks5Client refused = Socks5Client.open(second)) {
                    assertThat(refused.login("alice", password)).isZero();
                    assertThat(refused.connect("127.0.0.1", echo.port()).rep()).as("not allowed by the fleet").isEqualTo(2);
                }
            }
        }
    }
}

package dev.sallyport.server;

import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve --route 'attr:upstream=eu=eu'} with users in PostgreSQL: the user given
 * {@code --attr upstream=eu} goes through the upstream Sallyport, the other one direct, and the
 * access log's rows say so.
 */
@Timeout(120)
class ServeAttrRouteTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    private static void users(String... args) {
        List<String> command = new ArrayList<>(List.of("users"));
        command.addAll(List.of(args));
        command.addAll(List.of("--jdbc-url", postgres.url(), "--jdbc-user", "postgres"));
        StringWriter err = new StringWriter();
        int exit = Main.run(command.toArray(String[]::new), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
    }

    private static void tunnel(InetSocketAddress socks, String user, String password, TcpServer echo) throws Exception {
        try (Socks5Client client = Socks5Client.open(socks)) {
            assertThat(client.login(user, password)).as("login of " + user).isZero();
            assertThat(client.connect(echo.address()).succeeded()).as("CONNECT of " + user).isTrue();
            byte[] data = new byte[4321];
            assertThat(client.exchange(data)).isEqualTo(data);
        }
    }

    private static List<List<Object>> accessLog() throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(postgres.url());
        ds.setUser("postgres");
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT user_name, route, upstream FROM sallyport_access_log ORDER BY 1")) {
            while (rs.next()) {
                rows.add(Arrays.asList(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }
        return rows;
    }

    @Test
    void userWithTheAttribute_goesThroughTheUpstream_theOtherDirect_andTheAccessLogSaysWhich() throws Exception {
        users("add", "ines", "--password", "pw-i", "--attr", "upstream=eu");
        users("add", "otto", "--password", "pw-o");
        SessionRecorder far = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager upstream = ProxyManager.builder().socks5(0).metrics(far).start()) {
            String eu = "127.0.0.1:" + upstream.address("socks5").getPort();
            try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--jdbc-url", postgres.url(),
                    "--jdbc-user", "postgres", "--upstream", "eu=socks5://" + eu, "--route", "attr:upstream=eu=eu")) {
                InetSocketAddress socks = server.awaitReady().get(0).address();
                tunnel(socks, "ines", "pw-i", echo);
                tunnel(socks, "otto", "pw-o", echo);
                server.process.destroy(); // SIGTERM flushes the accounting buffer before exiting
                assertThat(server.awaitExit()).as(server.stderr()).isZero();
            }
            // Only ines's session reached the target through the upstream.
            assertThat(far.awaitSessions(1, Duration.ofSeconds(10))).extracting(SessionSummary::bytesUp)
                    .containsExactly(4321L);
            assertThat(accessLog()).containsExactly(List.of("ines", "eu", "eu/" + eu), Arrays.asList("otto", null, null));
            assertThat(far.sessions()).hasSize(1);
        }
    }
}

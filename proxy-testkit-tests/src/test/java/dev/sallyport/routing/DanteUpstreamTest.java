package dev.sallyport.routing;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks4Client;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.sallyport.routing.Hops.LOOPBACK;
import static dev.sallyport.routing.Hops.echoes;
import static dev.sallyport.routing.Hops.front;
import static dev.sallyport.routing.Hops.only;
import static dev.sallyport.routing.RouteKindsTest.via;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dante ({@code danted} from the distribution's {@code dante-server}) as a real SOCKS5 upstream:
 * every protocol of Sallyport routed through it. Opt-in: skipped when Dante is not installed.
 * Dante runs in the foreground from a config in a temp dir, on loopback only, logging there.
 * Without a login: Dante's username method checks system accounts, which a test must not add.
 */
@Timeout(30)
class DanteUpstreamTest {

    @TempDir
    static Path dir;

    private static PeerDaemon dante;

    @BeforeAll
    static void startDante() throws Exception {
        Path danted = PeerDaemon.installed("/usr/sbin/danted", "/usr/local/sbin/danted", "/usr/bin/danted");
        Assumptions.assumeTrue(danted != null,
                "Dante is not installed: skipping (apt-get install dante-server to run it)");
        int port = PeerDaemon.freePort();
        Path config = dir.resolve("danted.conf");
        Files.writeString(config, config(port));
        dante = PeerDaemon.start("danted", dir, port, danted.toString(), "-f", config.toString(), "-N", "1",
                "-p", dir.resolve("danted.pid").toString());
    }

    @AfterAll
    static void stopDante() throws InterruptedException {
        if (dante != null) {
            dante.close();
        }
    }

    /** Loopback in and out, no authentication, CONNECT to loopback targets only. */
    private static String config(int port) {
        String users = PeerDaemon.root() ? "user.privileged: root\nuser.unprivileged: nobody\n" : "";
        return """
                logoutput: DIR/danted.log
                internal: 127.0.0.1 port = PORT
                external: 127.0.0.1
                clientmethod: none
                socksmethod: none
                USERSclient pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
                socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }
                """.replace("DIR", dir.toString()).replace("PORT", Integer.toString(port)).replace("USERS", users);
    }

    private static String url() {
        return "socks5://127.0.0.1:" + dante.port;
    }

    private static String label() {
        return "up/127.0.0.1:" + dante.port;
    }

    @Test
    void socks5Connect_throughDante_reachesTheTarget() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(via(url()), near);
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo(label());
            assertThat(only(near).outcome()).isEqualTo(Outcome.OK);
        }
    }

    @Test
    void socks4Connect_throughDante_reachesTheTarget() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(via(url()), near);
             Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            assertThat(client.connect(LOOPBACK, echo.port(), "carol").granted()).isTrue();
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo(label());
        }
    }

    @Test
    void httpConnect_throughDante_reachesTheTarget() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(via(url()), near);
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            assertThat(client.connect("127.0.0.1:" + echo.port()).status()).isEqualTo(200);
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo(label());
        }
    }

    @Test
    void httpForward_throughDante_tunnelsBothRequestsOverOneConnection() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (Origin origin = new Origin();
             ProxyManager proxy = front(via(url()), near);
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            for (int i = 0; i < 2; i++) {
                client.send("GET " + origin.url("/hello") + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port() + "\r\n\r\n");
                RawHttpClient.Response response = client.response();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).isEqualTo("hello /hello");
            }
            assertThat(origin.connections()).isEqualTo(1);
            // The origin keeps its side open; its end ends the tunnel before the proxies drain.
            origin.close();
        }
        assertThat(near.awaitSessions(1, Hops.WAIT)).first().satisfies(s -> assertThat(s.upstream()).isEqualTo(label()));
    }

    @Test
    void connect_toARefusedTarget_throughDante_passesOnDantesRefusal() throws Exception {
        int closed = PeerDaemon.freePort();
        SessionRecorder near = new SessionRecorder();
        try (ProxyManager proxy = front(via(url()), near)) {
            try (Socks5Client socks = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(socks.noAuth().connect("127.0.0.1", closed).rep()).isEqualTo(5);
            }
            try (RawHttpClient http = RawHttpClient.open(proxy.address("http"))) {
                assertThat(http.connect("127.0.0.1:" + closed).status()).isEqualTo(502);
            }
            assertThat(near.awaitSessions(2, Hops.WAIT)).extracting(s -> s.outcome())
                    .containsExactly(Outcome.CONNECTION_REFUSED, Outcome.CONNECTION_REFUSED);
        }
    }
}

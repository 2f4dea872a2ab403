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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static dev.sallyport.routing.Hops.LOOPBACK;
import static dev.sallyport.routing.Hops.echoes;
import static dev.sallyport.routing.Hops.front;
import static dev.sallyport.routing.Hops.only;
import static dev.sallyport.routing.RouteKindsTest.via;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Squid (5.x from the distribution's {@code squid}) as a real HTTP upstream with a Basic login:
 * every protocol of Sallyport routed through it. Opt-in: skipped when Squid is not installed.
 * Squid runs in the foreground from a config in a temp dir: loopback only, no cache, no DNS
 * (the targets are address literals), its logs and pid file in the temp dir, its access log
 * naming the login, the request and the Proxy-Authorization it got. A shell helper checks the login.
 */
@Timeout(30)
class SquidUpstreamTest {

    static final String USER = "carol";
    static final String PASSWORD = "s3cret";
    /** Squid refuses this target (403): a target failure passed on, the upstream healthy. */
    static final String FORBIDDEN = "127.0.0.3";

    @TempDir
    static Path dir;

    private static PeerDaemon squid;

    @BeforeAll
    static void startSquid() throws Exception {
        Path binary = PeerDaemon.installed("/usr/sbin/squid", "/usr/local/sbin/squid", "/usr/bin/squid");
        Assumptions.assumeTrue(binary != null, "Squid is not installed: skipping (apt-get install squid to run it)");
        if (PeerDaemon.root()) {
            // Squid will not run as root: it switches to cache_effective_user, which writes the logs.
            PeerDaemon.handOver(dir, "proxy");
        }
        Path helper = dir.resolve("login.sh");
        Files.writeString(helper, """
                #!/bin/sh
                while read -r user password; do
                  if [ "$user" = "USER" ] && [ "$password" = "PASSWORD" ]; then echo OK; else echo ERR; fi
                done
                """.replace("USER", USER).replace("PASSWORD", PASSWORD));
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = PeerDaemon.freePort();
        Path config = dir.resolve("squid.conf");
        Files.writeString(config, config(port, helper));
        squid = PeerDaemon.start("squid", dir, port, binary.toString(), "-N", "-f", config.toString());
    }

    @AfterAll
    static void stopSquid() throws InterruptedException {
        if (squid != null) {
            squid.close();
        }
    }

    private static String config(int port, Path helper) {
        String user = PeerDaemon.root() ? "cache_effective_user proxy\n" : "";
        return """
                http_port 127.0.0.1:PORT
                USERSpid_filename DIR/squid.pid
                cache deny all
                cache_mem 0 MB
                pinger_enable off
                netdb_filename none
                dns_nameservers 127.0.0.1
                shutdown_lifetime 0 seconds
                visible_hostname sallyport-test
                logformat peers %un %rm %ru %>Hs %{Proxy-Authorization}>h
                access_log stdio:DIR/access.log peers
                cache_log DIR/cache.log
                cache_store_log none
                coredump_dir DIR
                auth_param basic program HELPER
                auth_param basic children 1 startup=1 idle=1
                auth_param basic realm sallyport-test
                acl login proxy_auth REQUIRED
                acl forbidden dst FORBIDDEN/32
                http_access deny forbidden
                http_access allow localhost login
                http_access deny all
                """.replace("DIR", dir.toString()).replace("PORT", Integer.toString(port)).replace("USERS", user)
                .replace("HELPER", helper.toString()).replace("FORBIDDEN", FORBIDDEN);
    }

    static String url() {
        return "http://" + USER + ":" + PASSWORD + "@127.0.0.1:" + squid.port;
    }

    private static String label() {
        return "up/127.0.0.1:" + squid.port;
    }

    /** The access log line of the request whose URL is {@code url}, once Squid has written it. */
    static String logged(String method, String url) throws IOException, InterruptedException {
        String prefix = " " + method + " " + url + " ";
        long deadline = System.nanoTime() + Hops.WAIT.toNanos();
        Path log = dir.resolve("access.log");
        while (true) {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            for (String line : lines) {
                if (line.contains(prefix)) {
                    return line;
                }
            }
            assertThat(System.nanoTime() - deadline).as("%s %s in Squid's access log: %s", method, url, lines)
                    .isNegative();
            // Squid writes the line when the transaction ends; the tunnel's close ends it.
            squid.pace();
        }
    }

    static String basic(String user, String password) {
        return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void socks5Connect_throughSquid_reachesTheTargetWithTheUpstreamsLogin() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(via(url()), near);
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo(label());
            assertThat(logged("CONNECT", "127.0.0.1:" + echo.port())).startsWith(USER + " ")
                    .contains(basic(USER, PASSWORD));
        }
    }

    @Test
    void socks4Connect_throughSquid_reachesTheTarget() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(via(url()), near);
             Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            assertThat(client.connect(LOOPBACK, echo.port(), "dave").granted()).isTrue();
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo(label());
            assertThat(logged("CONNECT", "127.0.0.1:" + echo.port())).startsWith(USER + " ");
        }
    }

    @Test
    void httpConnect_throughSquid_reachesTheTarget() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(via(url()), near);
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            assertThat(client.connect("127.0.0.1:" + echo.port()).status()).isEqualTo(200);
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo(label());
            assertThat(logged("CONNECT", "127.0.0.1:" + echo.port())).startsWith(USER + " ");
        }
    }

    @Test
    void connect_toATargetSquidForbids_passesOnTheDenial() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (ProxyManager proxy = front(via(url()), near)) {
            try (Socks5Client socks = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(socks.noAuth().connect(FORBIDDEN, 8080).rep()).isEqualTo(2);
            }
            try (RawHttpClient http = RawHttpClient.open(proxy.address("http"))) {
                assertThat(http.connect(FORBIDDEN + ":8081").status()).isEqualTo(403);
            }
            assertThat(near.awaitSessions(2, Hops.WAIT)).extracting(s -> s.outcome())
                    .containsExactly(Outcome.DENIED, Outcome.DENIED);
            assertThat(logged("CONNECT", FORBIDDEN + ":8080")).contains(" 403 ");
        }
    }

    @Test
    void httpForward_throughSquid_goesInAbsoluteFormWithTheUpstreamsLoginOnly() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (Origin origin = new Origin();
             ProxyManager proxy = frontWithLogin(near);
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            client.send("GET " + origin.url("/squid") + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port() + "\r\n"
                    + "Proxy-Authorization: Basic " + basic("dave", "d4ve-pass") + "\r\nConnection: close\r\n\r\n");
            RawHttpClient.Response response = client.response();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("hello /squid");
            assertThat(origin.requests()).singleElement()
                    .satisfies(headers -> assertThat(headers.containsKey("Proxy-Authorization")).isFalse());
            // Squid got the request itself in absolute-form, with the upstream's login and not dave's.
            assertThat(logged("GET", origin.url("/squid"))).startsWith(USER + " ").endsWith(" 200 Basic%20"
                    + basic(USER, PASSWORD)).doesNotContain(basic("dave", "d4ve-pass"));
        }
        assertThat(only(near).upstream()).isEqualTo(label());
    }

    @Test
    void connect_toATargetSquidCannotReach_passesOnTheFailure_andSquidStaysUp() throws Exception {
        int closed = PeerDaemon.freePort();
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(via(url()), near)) {
            try (RawHttpClient http = RawHttpClient.open(proxy.address("http"))) {
                // Squid answers 503 (ERR_CONNECT_FAIL): the target failed, not Squid.
                assertThat(http.connect("127.0.0.1:" + closed).status()).isEqualTo(502);
            }
            try (Socks5Client socks = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(socks.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
                echoes(socks.socket());
            }
            assertThat(near.awaitSessions(1, Hops.WAIT).get(0).outcome()).isEqualTo(Outcome.HOST_UNREACHABLE);
        }
    }

    @Test
    void httpForward_toATargetSquidCannotReach_passesOnSquidsAnswer() throws Exception {
        int closed = PeerDaemon.freePort();
        try (ProxyManager proxy = frontWithLogin(new SessionRecorder());
             RawHttpClient client = RawHttpClient.open(proxy.address("http"))) {
            String auth = "Proxy-Authorization: Basic " + basic("dave", "d4ve-pass") + "\r\n";
            client.send("GET http://127.0.0.1:" + closed + "/ HTTP/1.1\r\nHost: 127.0.0.1:" + closed + "\r\n" + auth + "\r\n");
            RawHttpClient.Response refused = client.response();
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Server")).startsWith("squid");
            client.send("GET http://" + FORBIDDEN + ":8082/ HTTP/1.1\r\nHost: " + FORBIDDEN + ":8082\r\n" + auth + "\r\n");
            RawHttpClient.Response forbidden = client.response();
            assertThat(forbidden.status()).isEqualTo(403);
            assertThat(forbidden.header("Server")).startsWith("squid");
        }
    }

    /** A front proxy whose clients log in as dave, so that they send a Proxy-Authorization of their own. */
    static ProxyManager frontWithLogin(SessionRecorder recorder) {
        return ProxyManager.builder().http(0).resolver(Hops.NAMES).metrics(recorder).routing(via(url()))
                .user("dave", "d4ve-pass").connectTimeout(Duration.ofSeconds(4)).start();
    }
}

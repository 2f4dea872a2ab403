package dev.sallyport.routing;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks4Client;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.sallyport.routing.Hops.LOOPBACK;
import static dev.sallyport.routing.Hops.echoes;
import static dev.sallyport.routing.Hops.front;
import static dev.sallyport.routing.Hops.only;
import static org.assertj.core.api.Assertions.assertThat;

/** An HTTPS upstream proxy: TLS to the upstream, its certificate verified. */
@Timeout(30)
class HttpsUpstreamTest {

    @TempDir
    static Path dir;

    private static TestCertificate certificate;
    private static final SessionRecorder FAR = new SessionRecorder();
    private static ProxyManager upstream;

    @BeforeAll
    static void startUpstream() {
        certificate = TestCertificate.generate(dir);
        upstream = ProxyManager.builder().http(0).resolver(Hops.NAMES).metrics(FAR)
                .tls("http", certificate.certificatePem(), certificate.privateKeyPem()).start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    private static String url() {
        return "https://127.0.0.1:" + upstream.address("http").getPort();
    }

    @Test
    void socks4Connect_throughAnHttpsUpstream_reachesTheTarget() throws Exception {
        SessionRecorder near = new SessionRecorder();
        Routing routing = Routing.builder().group(UpstreamGroup.of("tls", Upstream.parse(url()))).route("*", "tls")
                .trust(certificate.certificate()).build();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(routing, near);
             Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            assertThat(client.connect(LOOPBACK, echo.port(), "").granted()).isTrue();
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo("tls/127.0.0.1:" + upstream.address("http").getPort());
        }
    }

    @Test
    void anUntrustedCertificate_failsTheConnect_andNothingReachesTheTarget() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(RouteKindsTest.via(url()), near);
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("target.test", echo.port()).rep()).isEqualTo(1);
            assertThat(echo.connections()).isEmpty();
            assertThat(only(near).rule()).isEqualTo("upstream up");
        }
    }
}

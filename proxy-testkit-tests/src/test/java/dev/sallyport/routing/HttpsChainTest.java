package dev.sallyport.routing;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.sallyport.routing.Hops.echoes;
import static dev.sallyport.routing.Hops.front;
import static dev.sallyport.routing.Hops.only;
import static dev.sallyport.routing.Hops.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Chains with an HTTPS hop: TLS to that hop inside the tunnel of the hop before it, or as the first hop. */
@Timeout(30)
class HttpsChainTest {

    @TempDir
    static Path dir;

    private static TestCertificate certificate;
    private static final SessionRecorder TLS_HOP = new SessionRecorder();
    private static ProxyManager https;

    @BeforeAll
    static void startHttpsHop() {
        certificate = TestCertificate.generate(dir);
        https = ProxyManager.builder().http(0).resolver(Hops.NAMES).metrics(TLS_HOP)
                .tls("http", certificate.certificatePem(), certificate.privateKeyPem()).start();
    }

    @AfterAll
    static void stopHttpsHop() {
        https.close();
    }

    /** Connects through {@code chain}; the hop after the TLS one is the socks hop when {@code tlsFirst}. */
    private void throughChain(String chain, SessionRecorder socksHop, int socksPort, boolean tlsFirst) throws Exception {
        TLS_HOP.clear();
        SessionRecorder near = new SessionRecorder();
        Routing routing = Routing.builder().group(UpstreamGroup.of("c", Upstream.parse(chain))).route("*", "c")
                .trust(certificate.certificate()).build();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = front(routing, near);
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("target.test", echo.port()).rep()).isZero();
            echoes(client.socket());
            client.socket().close();
            assertThat(only(near).upstream()).isEqualTo("c/" + Upstream.parse(chain).name());
            assertThat(only(TLS_HOP).targetPort()).isEqualTo(tlsFirst ? socksPort : echo.port());
            assertThat(only(socksHop).targetPort()).isEqualTo(tlsFirst ? echo.port() : https.address("http").getPort());
        }
    }

    @Test
    void socks5ThenHttps_shakesHandsWithTheSecondHopOverTlsInsideTheFirstTunnel() throws Exception {
        SessionRecorder socksHop = new SessionRecorder();
        try (ProxyManager socks = upstream(socksHop, null, null)) {
            int socksPort = socks.address("socks5").getPort();
            throughChain("socks5://127.0.0.1:" + socksPort + ">https://127.0.0.1:" + https.address("http").getPort(),
                    socksHop, socksPort, false);
        }
    }

    @Test
    void httpsThenSocks5_tunnelsTheSecondHopsHandshakeThroughTls() throws Exception {
        SessionRecorder socksHop = new SessionRecorder();
        try (ProxyManager socks = upstream(socksHop, null, null)) {
            int socksPort = socks.address("socks5").getPort();
            throughChain("https://127.0.0.1:" + https.address("http").getPort() + ">socks5://127.0.0.1:" + socksPort,
                    socksHop, socksPort, true);
        }
    }
}

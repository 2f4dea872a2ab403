package dev.sallyport.examples.embedding;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A host application plugs an access rule and a connection pool in by name: the providers are
 * found with {@link java.util.ServiceLoader} ({@link DomainBlocklistProvider} from this module's
 * {@code META-INF/services}, {@link RecordingPoolProvider} from the test one), built from their
 * settings at start, used for real traffic through the JDK's own SOCKS client, and closed with the
 * proxy.
 */
@Timeout(60)
class ProvidersByNameTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Names the tests use, resolved without DNS. */
    private static final Resolver NAMES = Resolver.fixed(Map.of(
            "ads.example", List.of(LOOPBACK), "cdn.tracker.example", List.of(LOOPBACK), "shop.example", List.of(LOOPBACK)));

    private static void echoOnce(InetSocketAddress proxy, String host, int port) throws IOException {
        try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy))) {
            // Unresolved: the JDK sends the name, and the proxy resolves it.
            socket.connect(InetSocketAddress.createUnresolved(host, port), 5000);
            socket.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.getInputStream().readNBytes(2)).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void ruleAndPoolByName_areUsedForRealTraffic_andClosedWithTheProxy() throws Exception {
        String id = UUID.randomUUID().toString();
        try (TcpServer echo = TcpServer.echo()) {
            ProxyManager proxy = ProxyManager.builder()
                    .socks5(0)
                    .resolver(NAMES)
                    .accessRule("domain-blocklist", Map.of("domains", "ads.example,*.tracker.example"))
                    .connectionPool("recording-pool", Map.of("id", id))
                    .start();
            try {
                InetSocketAddress socks = proxy.address("socks5");

                echoOnce(socks, "shop.example", echo.port());
                assertThat(RecordingPoolProvider.events(id)).containsExactly("acquire 127.0.0.1:" + echo.port());

                for (String blocked : List.of("ads.example", "cdn.tracker.example")) {
                    assertThatThrownBy(() -> echoOnce(socks, blocked, echo.port())).as(blocked)
                            .isInstanceOf(IOException.class).hasMessageContaining("not allowed");
                }
                assertThat(echo.connections()).hasSize(1);
                assertThat(RecordingPoolProvider.events(id)).as("denied requests are never dialled").hasSize(1);
            } finally {
                proxy.close();
            }
            assertThat(RecordingPoolProvider.events(id)).containsExactly("acquire 127.0.0.1:" + echo.port(), "closed");
        }
    }

    @Test
    void badSettingOfANamedProvider_failsStart_namingTheProviderAndTheSetting() {
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0).accessRule("domain-blocklist", Map.of("domain", "x"));

        assertThatThrownBy(builder::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("domain-blocklist: unknown setting 'domain' (expected one of: [domains])");
    }

    @Test
    void unknownProviderName_failsStart_listingTheProvidersFound() {
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0).connectionPool("upstream", Map.of());

        assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
                .hasMessage("connectionPool: no provider named 'upstream' (expected one of: [recording-pool]; "
                        + "add the module that provides it)");
    }
}

package dev.sallyport.core;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ProxyManager#explain} names the route an allowed request would take; the routing API checks its input. */
@Timeout(30)
class RoutingExplainTest {

    private static ProxyRequest request(String host, int port) {
        return new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, new InetSocketAddress("127.0.0.1", 40000),
                new InetSocketAddress("127.0.0.1", 1080), Credentials.none(), host, port);
    }

    @Test
    void explain_namesTheRouteOfTheFirstMatchingRule() throws Exception {
        Routing routing = Routing.builder()
                .group(UpstreamGroup.of("eu", Upstream.parse("socks5://127.0.0.1:9")))
                .route("port:25", "deny")
                .route("attr:upstream=eu", "eu")
                .route("203.0.113.0/24", "direct:127.0.0.2")
                .build();
        Principal euUser = new Principal("alice", Limits.NONE, Map.of("upstream", "eu"));
        try (ProxyManager proxy = ProxyManager.builder().classLoader(dev.sallyport.core.testing.NullFrontend.loader())
                .socks5(0).routing(routing).start()) {
            assertThat(explain(proxy, request("203.0.113.7", 25), euUser).route()).isEqualTo("deny");
            assertThat(explain(proxy, request("203.0.113.7", 443), euUser).route()).isEqualTo("eu");
            assertThat(explain(proxy, request("203.0.113.7", 443), Principal.of("bob")).route()).isEqualTo("direct:127.0.0.2");
            assertThat(explain(proxy, request("198.51.100.1", 443), Principal.of("bob")).route()).isEqualTo("direct");
        }
    }

    private static ProxyManager.Explanation explain(ProxyManager proxy, ProxyRequest request, Principal who) throws Exception {
        return proxy.explain(request, who).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void upstreamToString_neverShowsThePassword() {
        Upstream upstream = Upstream.parse("socks5://alice:hunter2@10.0.0.5:1080");
        assertThat(upstream.toString()).isEqualTo("socks5://alice:***@10.0.0.5:1080").doesNotContain("hunter2");
        assertThat(UpstreamGroup.of("eu", upstream).toString()).doesNotContain("hunter2");
        assertThat(Routing.builder().group(UpstreamGroup.of("eu", upstream)).build().toString()).doesNotContain("hunter2");
        assertThat(upstream.password()).isEqualTo("hunter2");
    }

    @Test
    void badUrls_areRejectedWithoutThePassword() {
        assertThatThrownBy(() -> Upstream.parse("socks5://alice:hunter2@10.0.0.5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("upstream: 'socks5://alice:***@10.0.0.5' (expected: host and port 1-65535)");
        assertThatThrownBy(() -> Upstream.parse("http://10.0.0.5:3128?weight=0"))
                .hasMessage("upstream: 'http://10.0.0.5:3128?weight=0' (expected: weight 1-1000)");
        assertThatThrownBy(() -> UpstreamGroup.of("direct", Upstream.parse("http://10.0.0.5:3128")))
                .hasMessage("upstream group: 'direct' (expected: 1-64 letters, digits, - or _, not direct or deny)");
        assertThatThrownBy(() -> Routing.builder().route("*", "nowhere").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route *: target 'nowhere' (expected: direct, direct:ADDR, deny or a group: [])");
    }
}

package dev.sallyport.core;

import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start-time checks and lifecycle that need a (trivial) protocol module on the class path. */
@Timeout(30)
class OpenProxyGuardTest {

    private static ClassLoader withNullFrontend() {
        return NullFrontend.loader();
    }

    @Test
    void publicBindWithoutAuth_refusesToStart_sayingHowToAllowIt() throws IOException {
        ClassLoader loader = withNullFrontend();
        assertThatThrownBy(() -> ProxyManager.builder().classLoader(loader).bind("0.0.0.0").socks5(0).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bind: 0.0.0.0 is not a loopback address and no authentication is configured")
                .hasMessageContaining("allowOpenProxy(true)");
    }

    @Test
    void publicBindWithAuth_starts() throws IOException {
        ClassLoader loader = withNullFrontend();
        try (ProxyManager proxy = ProxyManager.builder().classLoader(loader).bind("0.0.0.0").socks5(0)
                .user("alice", "pw").start()) {
            assertThat(proxy.address("socks5").getPort()).isPositive();
        }
    }

    @Test
    void publicBindOpenProxyAllowed_starts() throws IOException {
        ClassLoader loader = withNullFrontend();
        try (ProxyManager proxy = ProxyManager.builder().classLoader(loader).bind("0.0.0.0").socks5(0)
                .allowOpenProxy(true).start()) {
            assertThat(proxy.address("socks5").getAddress().isAnyLocalAddress()).isTrue();
        }
    }

    @Test
    void portZero_reportsTheRealPort_andCloseFreesIt() throws IOException {
        ClassLoader loader = withNullFrontend();
        InetSocketAddress address;
        try (ProxyManager proxy = ProxyManager.builder().classLoader(loader).socks5(0).start()) {
            address = proxy.address("socks5");
            assertThat(address.getAddress().isLoopbackAddress()).isTrue();
            assertThat(address.getPort()).isPositive();
            assertThat(proxy.addresses()).containsOnlyKeys("socks5");
            try (Socket socket = new Socket()) {
                socket.connect(address, 2000);
            }
            assertThatThrownBy(() -> proxy.address("http")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("listener: http (expected one of: [socks5])");
        }
        try (ServerSocket rebound = new ServerSocket(address.getPort(), 1, address.getAddress())) {
            assertThat(rebound.isBound()).isTrue();
        }
    }

    @Test
    void start_authProviderMissing_failsClosed() throws IOException {
        ClassLoader loader = withNullFrontend();
        assertThatThrownBy(() -> ProxyManager.builder().classLoader(loader).socks5(0).auth("jdbc", java.util.Map.of()).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("auth: no provider named 'jdbc'");
    }

    @Test
    void portInUse_failsStartWithTheAddress() throws IOException {
        ClassLoader loader = withNullFrontend();
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> ProxyManager.builder().classLoader(loader).socks5(port).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("socks5: cannot listen on 127.0.0.1:" + port);
        }
    }

    @Test
    void portInUseByAnotherProxyManager_failsStart() throws IOException {
        ClassLoader loader = withNullFrontend();
        // Both would set SO_REUSEPORT (epoll): without a check the second would share the port.
        try (ProxyManager first = ProxyManager.builder().classLoader(loader).socks5(0).start()) {
            int port = first.address("socks5").getPort();
            assertThatThrownBy(() -> ProxyManager.builder().classLoader(loader).socks5(port).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("socks5: cannot listen on 127.0.0.1:" + port);
        }
    }
}

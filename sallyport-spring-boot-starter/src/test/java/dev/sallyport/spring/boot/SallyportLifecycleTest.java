package dev.sallyport.spring.boot;

import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The proxy follows the context: listening once it started, draining open tunnels when it closes. */
@Timeout(60)
class SallyportLifecycleTest {

    /** A SOCKS5 proxy that drains for up to 20 s: longer than any test waits for it. */
    static final ApplicationContextRunner DRAINING = SallyportPropertiesTest.RUNNER
            .withPropertyValues("sallyport.listeners.socks5=0", "sallyport.drain-timeout=20s");

    /** A tunnel through {@code socks} (the JDK's SOCKS client) to an echo server, shown to relay. */
    static Socket openTunnel(InetSocketAddress socks, InetSocketAddress echo) throws IOException {
        Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, socks));
        try {
            tunnel.connect(echo, 5000);
            tunnel.getOutputStream().write(7);
            assertThat(tunnel.getInputStream().read()).isEqualTo(7);
            return tunnel;
        } catch (IOException | RuntimeException | AssertionError e) {
            tunnel.close();
            throw e;
        }
    }

    @Test
    void contextClose_waitsForTheOpenTunnel_thenReleasesThePort() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            DRAINING.run(context -> {
                SallyportProxy proxy = context.getBean(SallyportProxy.class);
                assertThat(proxy.isRunning()).isTrue();
                assertThat(proxy.getPhase()).isEqualTo(SallyportProxy.PHASE);
                InetSocketAddress socks = proxy.manager().address("socks5");
                CompletableFuture<Void> closed;
                try (Socket tunnel = openTunnel(socks, echo.address())) {
                    closed = CompletableFuture.runAsync(context::close);
                    await().until(proxy::isDraining);
                    tunnel.getOutputStream().write(8);
                    assertThat(tunnel.getInputStream().read()).as("the tunnel still relays while draining")
                            .isEqualTo(8);
                    assertThat(closed).as("the context waits for the drain").isNotDone();
                }
                closed.get(20, TimeUnit.SECONDS);
                assertThat(proxy.isRunning()).isFalse();
                try (Socket again = new Socket()) {
                    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> again.connect(socks, 2000)))
                            .as("nothing listens on the proxy's port any more").isNotNull();
                }
            });
        }
    }
}

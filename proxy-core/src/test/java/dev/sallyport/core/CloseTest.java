package dev.sallyport.core;

import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What a closed manager answers, and that close() does not wait for connections that never
 * completed a handshake (timeouts of ten minutes; the test's own is a few seconds).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CloseTest {

    private final ClassLoader frontend = NullFrontend.loader();

    private ProxyManager start() {
        return ProxyManager.builder().classLoader(frontend).socks5(0)
                .handshakeTimeout(Duration.ofMinutes(10)).drainTimeout(Duration.ofMinutes(10)).start();
    }

    @Test
    void isClosed_isFalseWhileRunning_andTrueOnceClosed() {
        ProxyManager proxy = start();
        assertThat(proxy.isClosed()).isFalse();

        proxy.close();

        assertThat(proxy.isClosed()).isTrue();
    }

    @Test
    void addresses_afterClose_throwClosed() {
        ProxyManager proxy = start();
        assertThat(proxy.addresses()).containsOnlyKeys("socks5");

        proxy.close();

        assertThatThrownBy(proxy::addresses)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("closed: sallyport-")
                .hasMessageEndingWith(" no longer listens (expected: a running manager)");
        assertThatThrownBy(() -> proxy.address("socks5"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("closed: ");
        assertThat(proxy.toString()).matches("ProxyManager\\(sallyport-\\d+\\) closed");
    }

    @Test
    void close_withAConnectionStillInItsHandshake_closesItAtOnce() throws Exception {
        ProxyManager proxy = start();
        try (Socket idle = new Socket()) {
            idle.connect(proxy.address("socks5"));
            idle.setSoTimeout(5_000); // a socket read does not heed the test's timeout
            await().until(() -> proxy.openConnections() == 1);

            proxy.close();

            assertThat(idle.getInputStream().read()).isEqualTo(-1);
        } finally {
            proxy.close(Duration.ZERO);
        }
    }
}

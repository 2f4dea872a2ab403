package dev.sallyport.core;

import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ProxyManager#ping()}: the liveness check behind the standalone server's /health/live. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PingTest {

    private static ProxyManager start() {
        return ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0).ioThreads(3).start();
    }

    @Test
    void ping_onARunningManager_completesOnceEveryIoThreadAnswered() throws Exception {
        try (ProxyManager proxy = start()) {
            CompletableFuture<Void> answered = proxy.ping().toCompletableFuture();

            assertThat(answered.get(5, TimeUnit.SECONDS)).isNull();
            assertThat(answered).isCompletedWithValue(null);
        }
    }

    @Test
    void ping_afterClose_completesExceptionally() {
        ProxyManager proxy = start();
        proxy.close();

        CompletableFuture<Void> answered = proxy.ping().toCompletableFuture();

        assertThat(answered).failsWithin(5, TimeUnit.SECONDS);
    }
}

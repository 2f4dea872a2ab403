package dev.sallyport.core;

import dev.sallyport.core.testing.CountingProviders;
import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A start that fails leaves nothing behind: every instance built from a provider is closed once,
 * every thread of the attempt ends, every port it bound is free again.
 */
@Timeout(60)
class FailedStartTest {

    private final ClassLoader frontend = NullFrontend.loader();
    private Set<Thread> before;

    @BeforeEach
    void recordThreads() {
        CountingProviders.reset();
        before = new HashSet<>(Thread.getAllStackTraces().keySet());
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static void assertFree(int port) throws IOException {
        try (ServerSocket rebound = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(rebound.getLocalPort()).isEqualTo(port);
        }
    }

    /** Threads started since the test began that are still alive, once those ending have ended. */
    private void assertNoThreadLeft() {
        await().pollInSameThread().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<String> left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> !before.contains(t) && t.isAlive())
                    // JUnit starts the watcher of @Timeout on first use, and keeps it.
                    .filter(t -> !t.getName().equals("junit-jupiter-timeout-watcher"))
                    .map(Thread::getName)
                    .toList();
            assertThat(left).isEmpty();
        });
    }

    @Test
    void start_failingOnATlsSetting_leavesNoProviderInstanceOpen_noThread_andNoPort(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "not a certificate");
        Path key = Files.writeString(dir.resolve("key.pem"), "not a key");
        int port = freePort();

        assertThatThrownBy(() -> ProxyManager.builder().classLoader(frontend).socks5(port)
                .auth("counting", Map.of()).metrics("counting", Map.of())
                .tls("socks5", cert, key).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("tls: cannot load the key and certificates of listener 'socks5'");

        assertThat(CountingProviders.CLOSED).hasValue(CountingProviders.CREATED.get());
        assertNoThreadLeft();
        assertFree(port);
    }

    @Test
    void start_failingOnAPortInUse_closesEveryProviderInstanceOnce_endsItsThreads_andFreesTheOtherPort() throws IOException {
        int first = freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> ProxyManager.builder().classLoader(frontend).socks5(first)
                    .mixed(taken.getLocalPort()).auth("counting", Map.of()).metrics("counting", Map.of()).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("mixed: cannot listen on");
        }

        assertThat(CountingProviders.CREATED).hasValue(2);
        assertThat(CountingProviders.CLOSED).hasValue(2);
        assertNoThreadLeft();
        assertFree(first);
    }

    @Test
    void start_failingOnALaterProvider_closesTheInstancesAlreadyBuilt() {
        assertThatThrownBy(() -> ProxyManager.builder().classLoader(frontend).socks5(0)
                .auth("counting", Map.of()).metrics("missing", Map.of()).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("metrics: no provider named 'missing'");

        assertThat(CountingProviders.CREATED).hasValue(1);
        assertThat(CountingProviders.CLOSED).hasValue(1);
        assertNoThreadLeft();
    }

    @Test
    void start_failingOnACrossFieldCheck_closesTheInstancesAlreadyBuilt() {
        assertThatThrownBy(() -> ProxyManager.builder().classLoader(frontend).bind("0.0.0.0").socks5(0)
                .metrics("counting", Map.of()).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("bind: 0.0.0.0 is not a loopback address");

        assertThat(CountingProviders.CREATED).hasValue(1);
        assertThat(CountingProviders.CLOSED).hasValue(1);
        assertNoThreadLeft();
    }

    @Test
    void close_ofAStartedManager_closesEveryProviderInstanceOnce() {
        ProxyManager proxy = ProxyManager.builder().classLoader(frontend).socks5(0)
                .auth("counting", Map.of()).metrics("counting", Map.of()).start();
        assertThat(CountingProviders.CLOSED).hasValue(0);

        proxy.close();
        proxy.close();

        assertThat(CountingProviders.CREATED).hasValue(2);
        assertThat(CountingProviders.CLOSED).hasValue(2);
        assertNoThreadLeft();
    }
}

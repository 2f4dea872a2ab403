package dev.sallyport.socks5;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Protocol;
import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A login flood on loopback: 1100 concurrent wrong logins from 127.0.0.2-127.0.0.6 against the
 * in-memory store's real PBKDF2, while a legitimate login comes from 127.0.0.200. The flood is
 * bounded (it opens its connections once and sends once) and ends with the test.
 */
@Timeout(60)
class LoginFloodTest {

    private static final int SOURCES = 5;
    private static final int PER_SOURCE = 220;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /** Connections opened, and logins refused because the check queue was full. */
    private static final class Counted implements MetricsSink {
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger overloaded = new AtomicInteger();

        @Override
        public void connectionOpened(Protocol protocol) {
            opened.incrementAndGet();
        }

        @Override
        public void authFailed(Protocol protocol, String reason) {
            if ("overloaded".equals(reason)) {
                overloaded.incrementAndGet();
            }
        }
    }

    @Test
    void aFloodOfWrongLoginsFromOtherSources_leavesALegitimateLoginWithinTheHandshakeTimeout() throws Exception {
        Counted metrics = new Counted();
        // The lockout is off: the fair check queue alone stands between the flood and the legitimate login.
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).user("alice", "right").maxLoginFailures(0)
                .handshakeTimeout(HANDSHAKE_TIMEOUT).drainTimeout(Duration.ZERO).metrics(metrics).start()) {
            InetSocketAddress address = proxy.address("socks5");
            List<LoginSocket> flood = new ArrayList<>();
            try {
                for (int source = 0; source < SOURCES; source++) {
                    InetAddress from = InetAddress.getByName("127.0.0." + (2 + source));
                    for (int i = 0; i < PER_SOURCE; i++) {
                        flood.add(LoginSocket.open(address, from).send("alice", "wrong-" + source + "-" + i));
                    }
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> metrics.opened.get() >= SOURCES * PER_SOURCE);

                CompletableFuture<Integer> legitimate = CompletableFuture.supplyAsync(() -> {
                    try {
                        return LoginSocket.login(address, InetAddress.getByName("127.0.0.200"), "alice", "right");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });

                assertThat(legitimate.get(HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isZero();
                assertThat(metrics.overloaded).as("the flood went beyond the queue's bounds").hasPositiveValue();
            } finally {
                for (LoginSocket socket : flood) {
                    socket.close();
                }
            }
        }
    }
}

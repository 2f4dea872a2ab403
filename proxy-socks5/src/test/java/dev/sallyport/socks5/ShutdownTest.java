package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code close()} with SOCKS clients that never finished their handshake: they are closed at once
 * while tunnels still drain, and the manager's threads are daemons named after it. The handshake
 * and drain timeouts are ten minutes throughout, so a close that waited for either would exceed
 * the test's timeout of a few seconds.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ShutdownTest {

    private static final Duration LONG = Duration.ofMinutes(10);
    private static final Pattern THREAD = Pattern.compile("(sallyport-\\d+)-(io|auth)-\\d+");

    private static ProxyManager.Builder patient() {
        return ProxyManager.builder().socks5(0).handshakeTimeout(LONG).drainTimeout(LONG);
    }

    @Test
    void close_withAClientThatSentNothing_closesItAtOnce() throws Exception {
        ProxyManager proxy = patient().start();
        try (Socket idle = new Socket()) {
            idle.connect(proxy.address("socks5"));
            idle.setSoTimeout(5_000); // a socket read does not heed the test's timeout
            await().until(() -> proxy.openConnections() == 1);

            proxy.close();

            assertThat(idle.getInputStream().read()).isEqualTo(-1);
            assertThat(proxy.openConnections()).isZero();
        } finally {
            proxy.close(Duration.ZERO);
        }
    }

    @Test
    void close_withAClientBetweenGreetingAndRequest_closesIt_asShutdown() throws Exception {
        SessionRecorder sessions = new SessionRecorder();
        ProxyManager proxy = patient().metrics(sessions).start();
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            client.noAuth();
            client.socket().setSoTimeout(5_000);

            proxy.close();

            assertThat(client.closedByPeer()).isTrue();
            assertThat(sessions.takeSession(Duration.ofSeconds(5)).outcome()).isEqualTo(Outcome.SHUTDOWN);
        } finally {
            proxy.close(Duration.ZERO);
        }
    }

    @Test
    void close_withATunnelAndAnIdleClient_closesTheIdleOne_andDrainsTheTunnel() throws Exception {
        ProxyManager proxy = patient().start();
        InetSocketAddress address = proxy.address("socks5");
        try (TcpServer echo = TcpServer.echo();
             Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, address));
             Socket idle = new Socket()) {
            tunnel.connect(echo.address());
            idle.connect(address);
            idle.setSoTimeout(5_000); // a socket read does not heed the test's timeout
            tunnel.setSoTimeout(5_000);
            await().until(() -> proxy.openConnections() == 2);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(proxy::close);

            assertThat(idle.getInputStream().read()).isEqualTo(-1);
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            tunnel.getOutputStream().write(hello);
            assertThat(tunnel.getInputStream().readNBytes(hello.length)).isEqualTo(hello);
            assertThat(closing).isNotDone();
            tunnel.shutdownOutput();
            assertThat(tunnel.getInputStream().read()).isEqualTo(-1);
            closing.get(5, TimeUnit.SECONDS);
        } finally {
            proxy.close(Duration.ZERO);
        }
    }

    @Test
    void threads_areDaemons_namedAfterTheirManager() throws Exception {
        try (ProxyManager first = patient().user("alice", "alice-pw").start();
             ProxyManager second = patient().user("bob", "bob-pw").start()) {
            // A login runs the password check on the manager's auth thread.
            try (Socks5Client client = Socks5Client.open(first.address("socks5"))) {
                assertThat(client.login("alice", "alice-pw")).isZero();
            }
            try (Socks5Client client = Socks5Client.open(second.address("socks5"))) {
                assertThat(client.login("bob", "bob-pw")).isZero();
            }

            List<Thread> ours = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("sallyport-"))
                    .toList();
            assertThat(ours).allSatisfy(t -> {
                assertThat(t.getName()).matches(THREAD);
                assertThat(t.isDaemon()).as(t.getName()).isTrue();
            });
            String firstName = name(first);
            String secondName = name(second);
            assertThat(firstName).isNotEqualTo(secondName);
            for (String manager : List.of(firstName, secondName)) {
                assertThat(ours).filteredOn(t -> t.getName().startsWith(manager + "-io-")).isNotEmpty();
                assertThat(ours).filteredOn(t -> t.getName().startsWith(manager + "-auth-")).isNotEmpty();
            }
        }
    }

    /** The manager's name, as its {@code toString()} shows it: {@code ProxyManager(sallyport-N)...}. */
    private static String name(ProxyManager proxy) {
        Matcher matcher = Pattern.compile("ProxyManager\\((sallyport-\\d+)\\).*").matcher(proxy.toString());
        assertThat(matcher.matches()).as(proxy.toString()).isTrue();
        return matcher.group(1);
    }
}

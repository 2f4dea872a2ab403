package dev.sallyport.server;

import dev.sallyport.core.internal.net.ConnectionCap;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The metrics port's connection caps, on real sockets (127.0.0.x source addresses stand for
 * distinct clients): a connection past a cap is closed at accept and counted, the open ones stay
 * open, and other clients are still served, so idle connections cannot use up the process's
 * file descriptors.
 */
@Timeout(60)
class MetricsServerConnectionCapTest {

    private static final byte[] HEALTH = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Socket> sockets = new ArrayList<>();
    private MetricsServer server;

    @AfterEach
    void stop() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Socket connect(String source) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort(),
                InetAddress.getByName(source), 0);
        socket.setSoTimeout(10_000);
        sockets.add(socket);
        return socket;
    }

    /** A keep-alive {@code GET /health} on {@code socket}: whether "ok" came back. */
    private static boolean served(Socket socket) throws IOException {
        socket.getOutputStream().write(HEALTH);
        StringBuilder answer = new StringBuilder();
        int b;
        while (!answer.toString().endsWith("\r\n\r\nok\n") && (b = socket.getInputStream().read()) >= 0) {
            answer.append((char) b);
        }
        return answer.toString().startsWith("HTTP/1.1 200 OK");
    }

    private List<Socket> servedConnections(String source, int count) throws IOException {
        List<Socket> admitted = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket socket = connect(source);
            assertThat(served(socket)).as("connection %d from %s", i, source).isTrue();
            admitted.add(socket);
        }
        return admitted;
    }

    private double refused(String reason) {
        var counter = registry.find("proxy.metrics.refused").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private void start() {
        server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry,
                Health.serving(() -> true), null, Duration.ofMinutes(1), null);
    }

    @Test
    void oneClientPastItsCap_isClosedAtAccept_itsOpenConnectionsAndAnotherClientAreServed() throws Exception {
        start();
        List<Socket> admitted = servedConnections("127.0.0.2", MetricsServer.MAX_CONNECTIONS_PER_CLIENT);

        Socket extra = connect("127.0.0.2");

        assertThat(extra.getInputStream().read()).as("closed at once, nothing read").isEqualTo(-1);
        assertThat(refused(ConnectionCap.MAX_CONNECTIONS_PER_CLIENT)).isEqualTo(1);
        for (Socket socket : admitted) {
            assertThat(served(socket)).as("still open").isTrue();
        }
        assertThat(served(connect("127.0.0.3"))).as("another client").isTrue();
    }

    @Test
    void connectionsPastTheTotalCap_areClosedAtAccept_theOpenOnesStayServed() throws Exception {
        start();
        List<Socket> admitted = new ArrayList<>();
        int clients = MetricsServer.MAX_CONNECTIONS / MetricsServer.MAX_CONNECTIONS_PER_CLIENT;
        for (int client = 0; client < clients; client++) {
            admitted.addAll(servedConnections("127.0.1." + (client + 1), MetricsServer.MAX_CONNECTIONS_PER_CLIENT));
        }

        Socket extra = connect("127.0.2.1");

        assertThat(extra.getInputStream().read()).as("closed at once, nothing read").isEqualTo(-1);
        assertThat(refused(ConnectionCap.MAX_CONNECTIONS)).isEqualTo(1);
        assertThat(served(admitted.get(0))).isTrue();
        assertThat(served(admitted.get(admitted.size() - 1))).isTrue();
        admitted.get(0).close();
        // Its slot comes back once the server has seen the close: a client tries until it is served.
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> served(connect("127.0.2.2")));
    }
}

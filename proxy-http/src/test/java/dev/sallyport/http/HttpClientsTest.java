package dev.sallyport.http;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.NettyProxyClient;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real HTTP clients (the JDK's, Netty's, curl) through the proxy to loopback servers. */
@Timeout(120)
class HttpClientsTest {

    private static final int MIB = 1 << 20;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static TestOrigin origin = new TestOrigin();

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    @RegisterExtension
    static NettyProxyClient netty = NettyProxyClient.create(1);

    @RegisterExtension
    SallyportExtension proxy = TestProxies.http();

    private InetSocketAddress start(Consumer<ProxyManager.Builder> config) {
        return proxy.restart(config).address("http");
    }

    private SessionSummary nextSession() {
        return proxy.recorder().takeSession(WAIT);
    }

    private static HttpClient jdkClient(InetSocketAddress proxyAddress, Authenticator authenticator) {
        HttpClient.Builder builder = HttpClient.newBuilder().proxy(ProxySelector.of(proxyAddress))
                .version(HttpClient.Version.HTTP_1_1);
        if (authenticator != null) {
            builder.authenticator(authenticator);
        }
        return builder.build();
    }

    private URI originUri(String path) {
        return URI.create("http://origin.test:" + origin.port() + path);
    }

    @Test
    void jdkClient_forwardGet_andHead() throws Exception {
        InetSocketAddress address = proxy.httpAddress();
        HttpClient client = jdkClient(address, null);
        HttpResponse<String> get = client.send(HttpRequest.newBuilder(originUri("/hi")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello");
        assertThat(get.headers().firstValue("Via")).hasValue("1.1 sallyport");
        assertThat(origin.take().uri()).isEqualTo("/hi");

        HttpResponse<String> head = client.send(HttpRequest.newBuilder(originUri("/hi"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(origin.take().method()).isEqualTo("HEAD");

        SessionSummary summary = nextSession();
        assertThat(summary.command()).isEqualTo(dev.sallyport.api.Command.HTTP_FORWARD);
        assertThat(summary.targetHost()).isEqualTo("origin.test");
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
        assertThat(summary.bytesDown()).isPositive();
    }

    @Test
    void jdkClient_withProxyCredentials_answersTheChallenge() throws Exception {
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        HttpClient client = jdkClient(address, new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return getRequestorType() == RequestorType.PROXY
                        ? new PasswordAuthentication("alice", "secret".toCharArray()) : null;
            }
        });
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(originUri("/auth")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        TestOrigin.Received received = origin.take();
        assertThat(received.headers().containsKey("Proxy-Authorization")).isFalse();
    }

    @Test
    void jdkClient_upload10MiB_echoedByteExact() throws Exception {
        InetSocketAddress address = proxy.httpAddress();
        byte[] payload = TestBytes.random(10 * MIB, 42);
        HttpResponse<byte[]> response = jdkClient(address, null).send(HttpRequest.newBuilder(originUri("/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).hasSize(payload.length).isEqualTo(payload);
        SessionSummary summary = nextSession();
        assertThat(summary.bytesUp()).isGreaterThan(payload.length);
        assertThat(summary.bytesDown()).isGreaterThan(payload.length);
    }

    @Test
    void jdkClient_download10MiB_byteExact() throws Exception {
        InetSocketAddress address = proxy.httpAddress();
        HttpResponse<byte[]> response = jdkClient(address, null).send(
                HttpRequest.newBuilder(originUri("/bytes?n=" + 10 * MIB)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        byte[] body = response.body();
        assertThat(body).hasSize(10 * MIB);
        assertThat(TestBytes.firstMismatch(body, 0)).as("the first byte that differs").isEqualTo(-1);
    }

    @Test
    void raw_pipelinedRequests_answeredInOrderOnOneConnection() throws Exception {
        InetSocketAddress address = proxy.httpAddress();
        String host = "origin.test:" + origin.port();
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send("GET http://" + host + "/one HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST http://" + host + "/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
                    + "POST http://" + host + "/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "6\r\nsecond\r\n0\r\n\r\n"
                    + "HEAD http://" + host + "/h HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET http://" + host + "/last HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.response().text()).isEqualTo("hello");
            assertThat(client.response().text()).isEqualTo("first");
            assertThat(client.response().text()).isEqualTo("second");
            RawHttpClient.Response head = client.response(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(client.response().text()).isEqualTo("hello");
        }
        for (int i = 0; i < 5; i++) {
            origin.take();
        }
    }

    @Test
    void keepAlive_withAPoolingConnectionPool_reusesOneOriginConnection() throws Exception {
        TestPool pool = new TestPool();
        InetSocketAddress address = start(b -> b.connectionPool(pool));
        TestOrigin fresh = new TestOrigin();
        try (fresh; RawHttpClient client = RawHttpClient.open(address)) {
            for (int i = 0; i < 5; i++) {
                client.send("GET http://origin.test:" + fresh.port() + "/n" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.response().text()).isEqualTo("hello");
            }
            for (int i = 0; i < 5; i++) {
                assertThat(fresh.take().uri()).isEqualTo("/n" + i);
            }
            assertThat(fresh.connections()).isEqualTo(1);
            assertThat(pool.reused).isEqualTo(4);
        }
    }

    @Test
    void raw_connectTunnel_carriesBytesSentWithTheRequestHead() throws Exception {
        InetSocketAddress address = proxy.httpAddress();
        try (RawHttpClient client = RawHttpClient.open(address)) {
            client.send("CONNECT echo.test:" + echo.port() + " HTTP/1.1\r\nHost: echo.test:" + echo.port()
                    + "\r\n\r\nearly-bytes");
            byte[] expected = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertThat(client.read(expected.length)).isEqualTo(expected);
            assertThat(new String(client.read(11), StandardCharsets.US_ASCII)).isEqualTo("early-bytes");
            client.send("ping");
            assertThat(new String(client.read(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            client.socket().shutdownOutput();
            assertThat(client.closedByPeer()).isTrue();
        }
        SessionSummary summary = nextSession();
        assertThat(summary.command()).isEqualTo(dev.sallyport.api.Command.CONNECT);
        assertThat(summary.bytesUp()).isEqualTo(15);
        assertThat(summary.bytesDown()).isEqualTo(15);
    }

    @Test
    void netty_httpProxyHandler_tunnelsWithAndWithoutCredentials() throws Exception {
        InetSocketAddress open = proxy.httpAddress();
        assertThat(nettyEcho(new HttpProxyHandler(open), "anonymous")).isEqualTo("anonymous");
        InetSocketAddress closed = start(b -> b.user("alice", "secret"));
        assertThat(nettyEcho(new HttpProxyHandler(closed, "alice", "secret"), "alice")).isEqualTo("alice");
    }

    private String nettyEcho(HttpProxyHandler handler, String message) throws Exception {
        byte[] echoed = netty.echo(handler, InetSocketAddress.createUnresolved("echo.test", echo.port()),
                message.getBytes(StandardCharsets.UTF_8)).get(20, TimeUnit.SECONDS);
        return new String(echoed, StandardCharsets.UTF_8);
    }

    @Test
    void curl_forwardAndTunnel_withCredentials() throws Exception {
        assumeTrue(new File("/usr/bin/curl").canExecute(), "curl is not installed at /usr/bin/curl: skipped");
        InetSocketAddress address = start(b -> b.user("alice", "secret"));
        String proxyUrl = "http://127.0.0.1:" + address.getPort();
        String target = "http://origin.test:" + origin.port() + "/curl";
        assertThat(curl("-x", proxyUrl, "--proxy-user", "alice:secret", target)).isEqualTo("hello");
        assertThat(origin.take().headers().containsKey("Proxy-Authorization")).isFalse();
        // -p: tunnel through CONNECT even for http://
        assertThat(curl("-p", "-x", proxyUrl, "--proxy-user", "alice:secret", target)).isEqualTo("hello");
        assertThat(origin.take().uri()).isEqualTo("/curl");
        assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", "-x", proxyUrl, target)).isEqualTo("407");
    }

    private static String curl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/curl", "-sS", "--max-time", "20",
                "--noproxy", ""));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.toLowerCase(java.util.Locale.ROOT).endsWith("_proxy"));
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }

    /** A minimal keeping pool: what the proxy releases as reusable is handed out again. */
    private static final class TestPool implements ConnectionPool {
        private final Map<InetSocketAddress, Deque<Channel>> idle = new HashMap<>();
        volatile int reused;

        @Override
        public synchronized Future<Channel> acquire(InetSocketAddress address, EventLoop eventLoop, Dialer dialer) {
            Deque<Channel> channels = idle.get(address);
            while (channels != null && !channels.isEmpty()) {
                Channel channel = channels.poll();
                if (channel.isActive() && channel.eventLoop() == eventLoop) {
                    reused++;
                    return eventLoop.newSucceededFuture(channel);
                }
                channel.close();
            }
            return dialer.dial(address, eventLoop);
        }

        @Override
        public synchronized void release(Channel channel, boolean reusable) {
            if (reusable && channel.pipeline().names().stream().allMatch(n -> n.contains("Tail"))) {
                idle.computeIfAbsent((InetSocketAddress) channel.remoteAddress(), k -> new ArrayDeque<>()).add(channel);
            } else {
                channel.close();
            }
        }
    }
}

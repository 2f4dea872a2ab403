package dev.sallyport.http;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.testing.EchoServer;
import dev.sallyport.core.testing.RecordingMetrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyConnectionEvent;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real HTTP clients (the JDK's, Netty's, curl) through the proxy to loopback servers. */
@Timeout(120)
class HttpClientsTest {

    private static final int MIB = 1 << 20;
    private static final Resolver RESOLVER = Resolver.fixed(Map.of(
            "origin.test", List.of(InetAddress.getLoopbackAddress()),
            "echo.test", List.of(InetAddress.getLoopbackAddress())));

    private static TestOrigin origin;
    private static EchoServer echo;
    private static EventLoopGroup clientGroup;
    private ProxyManager proxy;
    private RecordingMetrics metrics;

    @BeforeAll
    static void startServers() {
        origin = new TestOrigin();
        echo = EchoServer.echo();
        clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopServers() {
        origin.close();
        echo.close();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        origin.clear();
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            // Nothing to drain for: the tests are done with their clients.
            proxy.close(java.time.Duration.ZERO);
        }
    }

    private InetSocketAddress start(Consumer<ProxyManager.Builder> config) {
        metrics = new RecordingMetrics();
        ProxyManager.Builder builder = ProxyManager.builder().http(0).metrics(metrics).resolver(RESOLVER);
        config.accept(builder);
        proxy = builder.start();
        return proxy.address("http");
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
        InetSocketAddress address = start(b -> { });
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

        SessionSummary summary = metrics.nextSummary();
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
        InetSocketAddress address = start(b -> { });
        byte[] payload = new byte[10 * MIB];
        new Random(42).nextBytes(payload);
        HttpResponse<byte[]> response = jdkClient(address, null).send(HttpRequest.newBuilder(originUri("/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).hasSize(payload.length).isEqualTo(payload);
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.bytesUp()).isGreaterThan(payload.length);
        assertThat(summary.bytesDown()).isGreaterThan(payload.length);
    }

    @Test
    void jdkClient_download10MiB_byteExact() throws Exception {
        InetSocketAddress address = start(b -> { });
        HttpResponse<byte[]> response = jdkClient(address, null).send(
                HttpRequest.newBuilder(originUri("/bytes?n=" + 10 * MIB)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        byte[] body = response.body();
        assertThat(body).hasSize(10 * MIB);
        for (int i = 0; i < body.length; i++) {
            if (body[i] != TestOrigin.pattern(i)) {
                throw new AssertionError("byte " + i + " differs");
            }
        }
    }

    @Test
    void raw_pipelinedRequests_answeredInOrderOnOneConnection() throws Exception {
        InetSocketAddress address = start(b -> { });
        String host = "origin.test:" + origin.port();
        try (HttpRawClient client = new HttpRawClient(address)) {
            client.send("GET http://" + host + "/one HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST http://" + host + "/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
                    + "POST http://" + host + "/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "6\r\nsecond\r\n0\r\n\r\n"
                    + "HEAD http://" + host + "/h HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET http://" + host + "/last HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.response().text()).isEqualTo("hello");
            assertThat(client.response().text()).isEqualTo("first");
            assertThat(client.response().text()).isEqualTo("second");
            HttpRawClient.Response head = client.response(true);
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
        try (fresh; HttpRawClient client = new HttpRawClient(address)) {
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
        InetSocketAddress address = start(b -> { });
        try (HttpRawClient client = new HttpRawClient(address)) {
            client.send("CONNECT echo.test:" + echo.port() + " HTTP/1.1\r\nHost: echo.test:" + echo.port()
                    + "\r\n\r\nearly-bytes");
            byte[] expected = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertThat(client.read(expected.length)).isEqualTo(expected);
            assertThat(new String(client.read(11), StandardCharsets.US_ASCII)).isEqualTo("early-bytes");
            client.send("ping");
            assertThat(new String(client.read(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            client.socket.shutdownOutput();
            assertThat(client.closedByPeer()).isTrue();
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.command()).isEqualTo(dev.sallyport.api.Command.CONNECT);
        assertThat(summary.bytesUp()).isEqualTo(15);
        assertThat(summary.bytesDown()).isEqualTo(15);
    }

    @Test
    void netty_httpProxyHandler_tunnelsWithAndWithoutCredentials() throws Exception {
        InetSocketAddress open = start(b -> { });
        assertThat(nettyEcho(new HttpProxyHandler(open), "anonymous")).isEqualTo("anonymous");
        proxy.close();
        InetSocketAddress closed = start(b -> b.user("alice", "secret"));
        assertThat(nettyEcho(new HttpProxyHandler(closed, "alice", "secret"), "alice")).isEqualTo("alice");
    }

    private String nettyEcho(HttpProxyHandler handler, String message) throws Exception {
        CompletableFuture<String> echoed = new CompletableFuture<>();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        Bootstrap bootstrap = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(handler).addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof ProxyConnectionEvent) {
                                    ctx.writeAndFlush(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8));
                                }
                            }

                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                byte[] bytes = new byte[msg.readableBytes()];
                                msg.readBytes(bytes);
                                got.writeBytes(bytes);
                                if (got.size() >= message.length()) {
                                    echoed.complete(got.toString(StandardCharsets.UTF_8));
                                    ctx.close();
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                echoed.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
                    }
                });
        Channel channel = bootstrap.connect(InetSocketAddress.createUnresolved("echo.test", echo.port())).sync().channel();
        try {
            return echoed.get(20, TimeUnit.SECONDS);
        } finally {
            channel.close().sync();
        }
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

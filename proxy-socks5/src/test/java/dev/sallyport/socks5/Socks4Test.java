package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.testing.EchoServer;
import dev.sallyport.core.testing.RecordingMetrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.proxy.ProxyConnectionEvent;
import io.netty.handler.proxy.Socks4ProxyHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** SOCKS4 and SOCKS4a on the SOCKS5 port, and one mixed port serving several protocols at once. */
@Timeout(60)
class Socks4Test {

    private static EchoServer echo;
    private static EventLoopGroup clients;
    private static final Resolver RESOLVER = Resolver.fixed(Map.of("echo.test", List.of(InetAddress.getLoopbackAddress())));

    @BeforeAll
    static void start() {
        echo = EchoServer.echo();
        clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        echo.close();
        clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static byte[] socks4Request(int command, int port, int[] ip, String user, String host) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(4);
        out.write(command);
        out.write(port >> 8);
        out.write(port);
        for (int b : ip) {
            out.write(b);
        }
        out.writeBytes(user.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        if (host != null) {
            out.writeBytes(host.getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        }
        return out.toByteArray();
    }

    @Test
    void socks4_ipv4Connect_granted_andTunnels() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).metrics(metrics).start();
             RawClient client = new RawClient(proxy.address("socks5"))) {
            client.send(socks4Request(1, echo.port(), new int[] {127, 0, 0, 1}, "fred", null));
            byte[] reply = client.read(8);
            assertThat(reply[0]).isZero();
            assertThat(reply[1] & 0xff).isEqualTo(0x5A);
            client.send("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.read(4)).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.protocol()).isEqualTo(Protocol.SOCKS4);
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void socks4_refusedPort_rejected5B() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).start();
             RawClient client = new RawClient(proxy.address("socks5"))) {
            client.send(socks4Request(1, closed, new int[] {127, 0, 0, 1}, "", null));
            assertThat(client.read(8)[1] & 0xff).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void socks4_whenAuthenticationIsOn_rejected5B_becauseItCannotCarryAPassword() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).user("alice", "pw").metrics(metrics).start();
             RawClient client = new RawClient(proxy.address("socks5"))) {
            client.send(socks4Request(1, echo.port(), new int[] {127, 0, 0, 1}, "alice", null));
            assertThat(client.read(8)[1] & 0xff).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(metrics.nextSummary().outcome()).isEqualTo(Outcome.AUTH_FAILED);
    }

    @Test
    void socks4_userIdWithoutTerminator_rejected5B() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).start();
             RawClient client = new RawClient(proxy.address("socks5"))) {
            byte[] head = {4, 1, 0, 80, 127, 0, 0, 1};
            client.send(head);
            client.send("x".repeat(300).getBytes(StandardCharsets.US_ASCII));
            assertThat(client.read(8)[1] & 0xff).isEqualTo(0x5B);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void socks4a_byName_throughNettysSocks4ProxyHandler() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(RESOLVER).start()) {
            byte[] data = new byte[100_000];
            new java.util.Random(4).nextBytes(data);
            CompletableFuture<byte[]> result = new CompletableFuture<>();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            new Bootstrap().group(clients).channel(NioSocketChannel.class).resolver(NoopAddressResolverGroup.INSTANCE)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new Socks4ProxyHandler(proxy.address("socks5")),
                                    new SimpleChannelInboundHandler<ByteBuf>() {
                                        @Override
                                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                            if (evt instanceof ProxyConnectionEvent) {
                                                ctx.writeAndFlush(Unpooled.wrappedBuffer(data));
                                            }
                                        }

                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                            byte[] chunk = new byte[msg.readableBytes()];
                                            msg.readBytes(chunk);
                                            received.writeBytes(chunk);
                                            if (received.size() >= data.length) {
                                                result.complete(received.toByteArray());
                                                ctx.close();
                                            }
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            result.completeExceptionally(cause);
                                            ctx.close();
                                        }
                                    });
                        }
                    }).connect(InetSocketAddress.createUnresolved("echo.test", echo.port()));
            assertThat(result.get(20, TimeUnit.SECONDS)).isEqualTo(data);
        }
    }

    @Test
    void mixedPort_socks5AndSocks4ClientsAtOnce() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        try (ProxyManager proxy = ProxyManager.builder().mixed(0).metrics(metrics).start()) {
            InetSocketAddress address = proxy.address("mixed");
            try (Socket socks5 = new Socket(new Proxy(Proxy.Type.SOCKS, address));
                 RawClient socks4 = new RawClient(address)) {
                socks5.connect(echo.address(), 5000);
                socks4.send(socks4Request(1, echo.port(), new int[] {127, 0, 0, 1}, "", null));
                assertThat(socks4.read(8)[1] & 0xff).isEqualTo(0x5A);
                socks5.getOutputStream().write("five".getBytes(StandardCharsets.US_ASCII));
                socks4.send("four".getBytes(StandardCharsets.US_ASCII));
                assertThat(socks5.getInputStream().readNBytes(4)).isEqualTo("five".getBytes(StandardCharsets.US_ASCII));
                assertThat(socks4.read(4)).isEqualTo("four".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(List.of(metrics.nextSummary().protocol(), metrics.nextSummary().protocol()))
                    .containsExactlyInAnyOrder(Protocol.SOCKS5, Protocol.SOCKS4);
        }
    }

    @Test
    void mixedPort_unclaimedFirstByte_socks5RefusesIt_andKeepsServing() throws IOException {
        try (ProxyManager proxy = ProxyManager.builder().mixed(0).start()) {
            try (RawClient client = new RawClient(proxy.address("mixed"))) {
                client.send(0x16, 3, 1);
                RawClient.expect(client.read(2), 5, 0xff);
                assertThat(client.closedByPeer()).isTrue();
            }
            try (RawClient client = new RawClient(proxy.address("mixed"))) {
                client.noAuth().connectIpv4(echo.port());
                assertThat(client.replyCode()).isZero();
            }
        }
    }
}

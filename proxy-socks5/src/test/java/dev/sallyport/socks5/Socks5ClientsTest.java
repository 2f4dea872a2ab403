package dev.sallyport.socks5;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.testing.EchoServer;
import dev.sallyport.core.testing.RecordingMetrics;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.proxy.ProxyConnectionEvent;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Real SOCKS5 clients (the JDK's and Netty's) tunnelling through the proxy to a loopback echo server. */
@Timeout(60)
class Socks5ClientsTest {

    private static final int MIB = 1 << 20;
    private static final Resolver RESOLVER = Resolver.fixed(Map.of("echo.test", List.of(InetAddress.getLoopbackAddress())));

    private static EchoServer echo;
    private static EventLoopGroup clientGroup;
    private ProxyManager proxy;

    @BeforeAll
    static void startEcho() {
        echo = EchoServer.echo();
        clientGroup = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopEcho() {
        echo.close();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void stopProxy() {
        Authenticator.setDefault(null);
        if (proxy != null) {
            proxy.close();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Writes {@code data} from another thread while reading the echo, so neither side blocks. */
    private static byte[] echoThrough(Socket socket, byte[] data) throws Exception {
        OutputStream out = socket.getOutputStream();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                out.write(data);
                out.flush();
                socket.shutdownOutput();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        ByteArrayOutputStream received = new ByteArrayOutputStream(data.length);
        InputStream in = socket.getInputStream();
        in.transferTo(received);
        writer.get(30, TimeUnit.SECONDS);
        return received.toByteArray();
    }

    @Test
    void jdkClient_noAuth_tunnelsOneMebibyteByteExact() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        proxy = ProxyManager.builder().socks5(0).resolver(RESOLVER).metrics(metrics).start();
        byte[] data = random(MIB, 1);
        try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
            socket.connect(InetSocketAddress.createUnresolved("echo.test", echo.port()), 5000);
            assertThat(echoThrough(socket, data)).isEqualTo(data);
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
        assertThat(summary.bytesUp()).isEqualTo(MIB);
        assertThat(summary.bytesDown()).isEqualTo(MIB);
        assertThat(summary.targetHost()).isEqualTo("echo.test");
        assertThat(summary.user()).isNull();
    }

    @Test
    void jdkClient_withPassword_tunnelsOneMebibyteByteExact() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        proxy = ProxyManager.builder().socks5(0).user("alice", "s3cret").metrics(metrics).start();
        Authenticator.setDefault(new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication("alice", "s3cret".toCharArray());
            }
        });
        byte[] data = random(MIB, 2);
        try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
            socket.connect(echo.address(), 5000);
            assertThat(echoThrough(socket, data)).isEqualTo(data);
        }
        SessionSummary summary = metrics.nextSummary();
        assertThat(summary.user()).isEqualTo("alice");
        assertThat(summary.bytesUp()).isEqualTo(MIB);
    }

    @Test
    void jdkClient_sixtyFourTunnelsInParallel_allByteExact() throws Exception {
        proxy = ProxyManager.builder().socks5(0).start();
        ExecutorService pool = Executors.newFixedThreadPool(64);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                long seed = 100 + i;
                results.add(pool.submit(() -> {
                    byte[] data = random(64 * 1024 + (int) seed, seed);
                    try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, proxy.address("socks5")))) {
                        socket.connect(echo.address(), 5000);
                        return java.util.Arrays.equals(echoThrough(socket, data), data);
                    }
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get(30, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void nettyClient_noAuth_tunnelsOneMebibyteByteExact() throws Exception {
        proxy = ProxyManager.builder().socks5(0).resolver(RESOLVER).start();
        byte[] data = random(MIB, 3);
        assertThat(nettyEcho(new Socks5ProxyHandler(proxy.address("socks5")), InetSocketAddress.createUnresolved("echo.test", echo.port()), data))
                .isEqualTo(data);
    }

    @Test
    void nettyClient_withPassword_tunnelsOneMebibyteByteExact() throws Exception {
        proxy = ProxyManager.builder().socks5(0).user("bob", "pa55-w0rd").start();
        byte[] data = random(MIB, 4);
        assertThat(nettyEcho(new Socks5ProxyHandler(proxy.address("socks5"), "bob", "pa55-w0rd"), echo.address(), data))
                .isEqualTo(data);
    }

    @Test
    void nettyClient_sixtyFourTunnelsInParallel_allByteExact() throws Exception {
        proxy = ProxyManager.builder().socks5(0).user("bob", "pw").start();
        List<CompletableFuture<byte[]>> results = new ArrayList<>();
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            byte[] data = random(32 * 1024 + i, 200 + i);
            sent.add(data);
            results.add(nettyEchoAsync(new Socks5ProxyHandler(proxy.address("socks5"), "bob", "pw"), echo.address(), data));
        }
        for (int i = 0; i < 64; i++) {
            assertThat(results.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(sent.get(i));
        }
    }

    private byte[] nettyEcho(Socks5ProxyHandler handler, InetSocketAddress target, byte[] data) throws Exception {
        return nettyEchoAsync(handler, target, data).get(30, TimeUnit.SECONDS);
    }

    /** Netty client: sends {@code data} once the proxy handshake is done and collects the echo. */
    private CompletableFuture<byte[]> nettyEchoAsync(Socks5ProxyHandler handler, InetSocketAddress target, byte[] data) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(handler, new SimpleChannelInboundHandler<ByteBuf>() {
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
                })
                .connect(target).addListener(f -> {
                    if (!f.isSuccess()) {
                        result.completeExceptionally(f.cause());
                    }
                });
        return result;
    }
}

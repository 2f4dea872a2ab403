package dev.sallyport.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.proxy.ProxyConnectionEvent;
import io.netty.resolver.NoopAddressResolverGroup;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A Netty client that reaches a target through one of Netty's own proxy handlers
 * ({@code Socks5ProxyHandler}, {@code Socks4ProxyHandler}, {@code HttpProxyHandler}; the test
 * brings {@code netty-handler-proxy}): to check that a proxy works with Netty's clients. It sends
 * the test's bytes once the proxy handshake is done and collects as many bytes back, as from an
 * echo server.
 *
 * <pre>{@code
 * try (NettyProxyClient netty = NettyProxyClient.create(2)) {
 *     byte[] echoed = netty.echo(new Socks5ProxyHandler(proxy.socks5Address(), "alice", "pw"),
 *             echo.address(), data).get(30, TimeUnit.SECONDS);
 * }
 * }</pre>
 *
 * <p>Names in unresolved target addresses go to the proxy as names (the client resolves
 * nothing). Thread-safe; {@link #close()} shuts its event loops down. In a
 * {@code @RegisterExtension} field the client closes itself: after the class for a
 * {@code static} field, after each test for an instance field.
 */
public final class NettyProxyClient extends ClosedAfterUse {

    private final EventLoopGroup group;

    private NettyProxyClient(int threads) {
        this.group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    }

    /**
     * A client with {@code threads} NIO event loop threads.
     *
     * @param threads the number of threads
     * @return the client
     */
    public static NettyProxyClient create(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
        }
        return new NettyProxyClient(threads);
    }

    /**
     * Connects to {@code target} through {@code proxyHandler} (a new handler for each call), sends
     * {@code data} once the handler reports the proxy connection established, and completes with
     * the first {@code data.length} bytes that come back, then closes the connection. Completes
     * exceptionally when the connect or the proxy handshake fails, or the connection ends early.
     *
     * @param proxyHandler a new proxy handler, e.g. {@code Socks5ProxyHandler}
     * @param target the target behind the proxy
     * @param data the bytes to send
     * @return completes with the bytes that came back
     */
    public CompletableFuture<byte[]> echo(ChannelHandler proxyHandler, SocketAddress target, byte[] data) {
        Objects.requireNonNull(proxyHandler, "proxyHandler");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(data, "data");
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ByteArrayOutputStream received = new ByteArrayOutputStream(data.length);
        new Bootstrap().group(group).channel(NioSocketChannel.class)
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(proxyHandler, new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof ProxyConnectionEvent) {
                                    ctx.writeAndFlush(Unpooled.wrappedBuffer(data));
                                }
                                ctx.fireUserEventTriggered(evt);
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
                            public void channelInactive(ChannelHandlerContext ctx) {
                                result.completeExceptionally(new EOFException("closed after " + received.size()
                                        + " of " + data.length + " bytes"));
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

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

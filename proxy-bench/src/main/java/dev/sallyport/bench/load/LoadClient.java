package dev.sallyport.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Opens tunnels through a {@link Target} with Netty: connects, runs the {@link ProxyDialogue},
 * then puts the caller's handler in place of the handshake before the future completes, so no
 * byte from the destination can arrive unseen.
 */
final class LoadClient implements AutoCloseable {

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;

    LoadClient(int threads) {
        group = Io.group(threads, "bench-client");
        bootstrap = new Bootstrap()
                .group(group)
                .channel(Io.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Io.WATER_MARK);
    }

    /**
     * A tunnel to {@code destination}; its pipeline holds only {@code tunnelHandler} (added as
     * {@code "tunnel"}) when the future succeeds. Fails when the connection or the handshake does.
     */
    Future<Channel> open(Target target, InetSocketAddress destination, ChannelHandler tunnelHandler) {
        Promise<Channel> promise = group.next().newPromise();
        Handshake handshake = new Handshake(target.dialogue(destination), tunnelHandler, promise);
        ChannelFuture connect = bootstrap.clone().handler(handshake).connect(target.firstHop(destination));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Runs the dialogue, then replaces itself with the tunnel handler. */
    private static final class Handshake extends ChannelInboundHandlerAdapter {
        private final ProxyDialogue dialogue;
        private final ChannelHandler tunnelHandler;
        private final Promise<Channel> promise;
        private ByteBuf buffered;
        private boolean up;

        Handshake(ProxyDialogue dialogue, ChannelHandler tunnelHandler, Promise<Channel> promise) {
            this.dialogue = dialogue;
            this.tunnelHandler = tunnelHandler;
            this.promise = promise;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            byte[] first = dialogue.start();
            if (dialogue.done()) {
                tunnel(ctx);
                return;
            }
            ctx.writeAndFlush(Unpooled.wrappedBuffer(first));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in) || promise.isDone()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            buffered = buffered == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), buffered, in);
            while (buffered.isReadable()) {
                ByteBuffer view = buffered.nioBuffer();
                ProxyDialogue.Step step = dialogue.receive(view);
                buffered.skipBytes(view.position());
                if (step.failure() != null) {
                    fail(ctx, new IOException(step.failure()));
                    return;
                }
                if (step.send() != null) {
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(step.send()));
                } else if (dialogue.done()) {
                    tunnel(ctx);
                    return;
                } else {
                    return;
                }
            }
        }

        private void tunnel(ChannelHandlerContext ctx) {
            // handlerRemoved passes bytes that came with the last reply on to the tunnel handler.
            up = true;
            ctx.pipeline().replace(this, "tunnel", tunnelHandler);
            promise.trySuccess(ctx.channel());
        }

        private void fail(ChannelHandlerContext ctx, Throwable cause) {
            promise.tryFailure(cause);
            ctx.close();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            ByteBuf rest = buffered;
            buffered = null;
            if (rest != null) {
                if (rest.isReadable() && up) {
                    ctx.fireChannelRead(rest);
                    ctx.fireChannelReadComplete();
                } else {
                    rest.release();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (buffered != null) {
                buffered.release();
                buffered = null;
            }
            promise.tryFailure(new IOException("closed during the proxy handshake"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(ctx, cause);
        }
    }
}

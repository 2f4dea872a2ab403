package dev.sallyport.bench.load;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The destination of every tunnel, on loopback port 0, in the load generator's process:
 * <ul>
 *   <li>the echo port writes back every byte it reads (sessions, ping-pong, TTFB, idle);</li>
 *   <li>the data port reads a 9-byte header, {@code 'D'} or {@code 'U'} and a 64-bit length
 *       N: for {@code 'D'} it sends N bytes of the {@link Pattern}; for {@code 'U'} it reads N
 *       bytes and answers with their count (8 bytes) and CRC32C (4 bytes).</li>
 * </ul>
 */
final class TargetServer implements AutoCloseable {

    static final byte DOWNLOAD = 'D';
    static final byte UPLOAD = 'U';
    static final int HEADER = 9;
    static final int UPLOAD_REPLY = 12;

    private final EventLoopGroup group;
    private final Channel echo;
    private final Channel data;

    private TargetServer(int threads) {
        group = Io.group(threads, "bench-target");
        try {
            echo = bind(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast("echo", Echo.INSTANCE);
                }
            });
            data = bind(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast("data", new Data());
                }
            });
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    static TargetServer start(int threads) {
        return new TargetServer(threads);
    }

    private Channel bind(ChannelHandler initializer) {
        return new ServerBootstrap()
                .group(group)
                .channel(Io.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, Io.WATER_MARK)
                .childHandler(initializer)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
    }

    InetSocketAddress echoAddress() {
        return (InetSocketAddress) echo.localAddress();
    }

    InetSocketAddress dataAddress() {
        return (InetSocketAddress) data.localAddress();
    }

    @Override
    public void close() {
        echo.close().syncUninterruptibly();
        data.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Writes back what it reads; stops reading while the write side is full. */
    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The data port's source and sink. */
    private static final class Data extends ChannelInboundHandlerAdapter {
        private final byte[] header = new byte[HEADER];
        private int headerRead;
        private byte op;
        private long length;
        private long done;
        private final CRC32C crc = new CRC32C();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                if (headerRead < HEADER) {
                    int n = Math.min(HEADER - headerRead, in.readableBytes());
                    in.readBytes(header, headerRead, n);
                    headerRead += n;
                    if (headerRead < HEADER) {
                        return;
                    }
                    op = header[0];
                    length = 0;
                    for (int i = 1; i < HEADER; i++) {
                        length = (length << 8) | (header[i] & 0xff);
                    }
                    if (op == DOWNLOAD) {
                        pump(ctx);
                    } else if (op != UPLOAD || length < 0) {
                        ctx.close();
                        return;
                    }
                }
                if (op == UPLOAD && in.isReadable()) {
                    Pattern.update(crc, in);
                    done += in.readableBytes();
                    if (done == length) {
                        ctx.writeAndFlush(ctx.alloc().buffer(UPLOAD_REPLY).writeLong(done).writeInt((int) crc.getValue()));
                    } else if (done > length) {
                        ctx.close();
                    }
                }
            } finally {
                in.release();
            }
        }

        private void pump(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            boolean wrote = false;
            while (done < length && ch.isWritable()) {
                ByteBuf slice = Pattern.slice(done, length - done);
                done += slice.readableBytes();
                ctx.write(slice, ctx.voidPromise());
                wrote = true;
            }
            if (wrote) {
                ctx.flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (op == DOWNLOAD && ctx.channel().isWritable()) {
                pump(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}

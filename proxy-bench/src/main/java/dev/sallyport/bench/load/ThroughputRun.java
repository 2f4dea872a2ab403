package dev.sallyport.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * Throughput: K tunnels each move N bytes one way (download: destination to client; upload:
 * client to destination), every byte verified by CRC32C. The clock runs from the first header
 * written, after every tunnel is up, to the last verification; MB/s is 10^6 bytes per second.
 * Bounded by a time cap: a run that hits it reports what moved so far, marked unverified.
 */
final class ThroughputRun {

    enum Direction { DOWN, UP }

    private ThroughputRun() {
    }

    static Result run(LoadClient client, Target target, InetSocketAddress data, Direction direction, int tunnels,
                      long bytes, Duration cap, ProcStat proxy) throws InterruptedException {
        int expectedCrc = Pattern.expectedCrc(bytes);
        CountDownLatch finished = new CountDownLatch(tunnels);
        AtomicInteger verified = new AtomicInteger();
        AtomicLong moved = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Transfer> transfers = new ArrayList<>();
        List<Future<Channel>> opens = new ArrayList<>();
        for (int i = 0; i < tunnels; i++) {
            Transfer transfer = new Transfer(direction, bytes, expectedCrc, finished, verified, moved, firstError);
            transfers.add(transfer);
            opens.add(client.open(target, data, transfer));
        }
        List<Channel> channels = new ArrayList<>();
        long openDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Future<Channel> open : opens) {
            if (!open.await(Math.max(1, openDeadline - System.nanoTime()), TimeUnit.NANOSECONDS) || !open.isSuccess()) {
                channels.forEach(Channel::close);
                opens.forEach(o -> o.cancel(false));
                throw new IllegalStateException("throughput: cannot open a tunnel through " + target + ": "
                        + (open.cause() == null ? "timed out" : open.cause().getMessage()));
            }
            channels.add(open.getNow());
        }

        CpuMeter cpu = CpuMeter.start(proxy);
        for (int i = 0; i < tunnels; i++) {
            Transfer transfer = transfers.get(i);
            channels.get(i).eventLoop().execute(transfer::begin);
        }
        boolean complete = finished.await(cap.toNanos(), TimeUnit.NANOSECONDS);
        cpu.stop();
        String error = firstError.get();
        long movedAtStop = moved.get();
        for (Channel channel : channels) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }

        long total = complete ? bytes * tunnels : movedAtStop;
        double seconds = cpu.wallNanos() / 1e9;
        double gigabytes = total / 1e9;
        Result result = new Result("throughput")
                .put("dir", direction.name().toLowerCase(Locale.ROOT))
                .put("tunnels", tunnels)
                .put("bytes", total)
                .put("mbps", total / 1e6 / seconds)
                .put("verified", complete && verified.get() == tunnels ? "yes" : "no")
                .put("client_cpu_s_per_gb", cpu.selfNanos() / 1e9 / gigabytes);
        if (cpu.proxyNanos() >= 0) {
            result.put("proxy_cpu_s_per_gb", cpu.proxyNanos() / 1e9 / gigabytes);
        }
        cpu.addTo(result);
        if (!complete && error == null) {
            error = "time-cap";
        }
        if (error != null) {
            result.put("error", error.replaceAll("[\\s=]+", "_"));
        }
        return result;
    }

    /** One tunnel's transfer; confined to its channel's event loop. */
    private static final class Transfer extends ChannelInboundHandlerAdapter {
        private final Direction direction;
        private final long length;
        private final int expectedCrc;
        private final CountDownLatch finished;
        private final AtomicInteger verified;
        private final AtomicLong moved;
        private final AtomicReference<String> firstError;
        private final CRC32C crc = new CRC32C();
        private Channel channel;
        private long done;
        private ByteBuf reply;
        private boolean over;

        Transfer(Direction direction, long length, int expectedCrc, CountDownLatch finished, AtomicInteger verified,
                 AtomicLong moved, AtomicReference<String> firstError) {
            this.direction = direction;
            this.length = length;
            this.expectedCrc = expectedCrc;
            this.finished = finished;
            this.verified = verified;
            this.moved = moved;
            this.firstError = firstError;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        void begin() {
            ByteBuf header = channel.alloc().buffer(TargetServer.HEADER)
                    .writeByte(direction == Direction.DOWN ? TargetServer.DOWNLOAD : TargetServer.UPLOAD)
                    .writeLong(length);
            channel.write(header, channel.voidPromise());
            if (direction == Direction.UP) {
                pump();
            } else {
                channel.flush();
            }
        }

        private void pump() {
            while (done < length && channel.isWritable()) {
                ByteBuf slice = Pattern.slice(done, length - done);
                done += slice.readableBytes();
                moved.addAndGet(slice.readableBytes());
                channel.write(slice, channel.voidPromise());
            }
            channel.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (direction == Direction.UP && !over && ctx.channel().isWritable()) {
                pump();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in) || over) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                if (direction == Direction.DOWN) {
                    int n = in.readableBytes();
                    Pattern.update(crc, in);
                    done += n;
                    moved.addAndGet(n);
                    if (done == length) {
                        finish((int) crc.getValue() == expectedCrc ? null : "download-checksum-mismatch");
                    } else if (done > length) {
                        finish("download-too-many-bytes");
                    }
                } else {
                    if (reply == null) {
                        reply = ctx.alloc().heapBuffer(TargetServer.UPLOAD_REPLY);
                    }
                    reply.writeBytes(in, Math.min(in.readableBytes(), reply.writableBytes()));
                    if (reply.readableBytes() == TargetServer.UPLOAD_REPLY) {
                        long count = reply.readLong();
                        int sum = reply.readInt();
                        finish(count != length ? "upload-count-" + count : sum != expectedCrc ? "upload-checksum-mismatch" : null);
                    }
                }
            } finally {
                in.release();
            }
        }

        private void finish(String error) {
            if (over) {
                return;
            }
            over = true;
            if (reply != null) {
                reply.release();
                reply = null;
            }
            if (error == null) {
                verified.incrementAndGet();
            } else {
                firstError.compareAndSet(null, error);
            }
            finished.countDown();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish("closed-early-after-" + done + "-bytes");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(cause.getClass().getSimpleName());
            ctx.close();
        }
    }
}

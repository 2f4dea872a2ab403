package dev.sallyport.bench.load;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Idle tunnels: N tunnels opened (at most 64 handshakes in flight), each proven end to end by a
 * one-byte echo, then held open while the proxy's resident memory is read. Reports the growth
 * of the proxy's RSS (its whole process tree) divided by N. A warm-up of short sessions runs
 * first, so code loading and JIT compilation do not count as tunnel memory. The process needs
 * two descriptors per tunnel (client and destination side), the proxy two as well.
 */
final class IdleRun {

    private static final int IN_FLIGHT = 64;

    private IdleRun() {
    }

    static Result run(LoadClient client, Target target, InetSocketAddress echo, int tunnels, Duration cap,
                      ProcStat proxy) throws InterruptedException {
        if (proxy == null) {
            throw new IllegalArgumentException("idle: needs --proxy-pid (expected: the proxy's process id)");
        }
        SessionRun.run(client, target, echo, 16, Duration.ofMillis(200), Duration.ofMillis(300), 2_000, null);
        settle();
        long before = proxy.rssKb();

        long deadline = System.nanoTime() + cap.toNanos();
        Queue<Channel> open = new ConcurrentLinkedQueue<>();
        CountDownLatch established = new CountDownLatch(tunnels);
        AtomicInteger launched = new AtomicInteger();
        AtomicLong failures = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        Opener opener = new Opener(client, target, echo, tunnels, deadline, open, established, launched, failures, firstError);
        for (int i = 0; i < Math.min(IN_FLIGHT, tunnels); i++) {
            opener.next();
        }
        established.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        int up = tunnels - (int) established.getCount();
        settle();
        long after = proxy.rssKb();
        for (Channel channel : open) {
            channel.close();
        }
        for (Channel channel : open) {
            channel.closeFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }

        Result result = new Result("idle")
                .put("tunnels", up)
                .put("requested", tunnels)
                .put("rss_before_kb", before)
                .put("rss_after_kb", after)
                .put("rss_per_tunnel_kb", up == 0 ? Double.NaN : (after - before) / (double) up);
        if (up < tunnels) {
            String why = firstError.get() != null ? firstError.get() : "time-cap";
            result.put("error", why.replaceAll("[\\s=]+", "_"));
        }
        return result;
    }

    /** Lets the proxy finish what the last connections started before its memory is read. */
    private static void settle() throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(500);
    }

    /** Keeps up to {@link #IN_FLIGHT} handshakes going until every tunnel is up or time runs out. */
    private static final class Opener {
        private final LoadClient client;
        private final Target target;
        private final InetSocketAddress echo;
        private final int tunnels;
        private final long deadline;
        private final Queue<Channel> open;
        private final CountDownLatch established;
        private final AtomicInteger launched;
        private final AtomicLong failures;
        private final AtomicReference<String> firstError;

        Opener(LoadClient client, Target target, InetSocketAddress echo, int tunnels, long deadline, Queue<Channel> open,
               CountDownLatch established, AtomicInteger launched, AtomicLong failures, AtomicReference<String> firstError) {
            this.client = client;
            this.target = target;
            this.echo = echo;
            this.tunnels = tunnels;
            this.deadline = deadline;
            this.open = open;
            this.established = established;
            this.launched = launched;
            this.failures = failures;
            this.firstError = firstError;
        }

        void next() {
            // Failures are retried, but never more than once per tunnel asked for.
            if (System.nanoTime() > deadline || launched.incrementAndGet() > tunnels + Math.min(failures.get(), tunnels)) {
                return;
            }
            client.open(target, echo, new Hold()).addListener(f -> {
                if (f.isSuccess()) {
                    Channel channel = (Channel) f.getNow();
                    open.add(channel);
                    channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'i'}));
                } else {
                    failures.incrementAndGet();
                    firstError.compareAndSet(null, f.cause().getClass().getSimpleName() + ":" + f.cause().getMessage());
                    next();
                }
            });
        }

        /** Counts the tunnel once its echo arrives, then starts another handshake. */
        private final class Hold extends ChannelInboundHandlerAdapter {
            private boolean counted;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                if (!counted) {
                    counted = true;
                    established.countDown();
                    next();
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (!counted) {
                    failures.incrementAndGet();
                    firstError.compareAndSet(null, "closed-before-the-echo");
                    next();
                }
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }
}

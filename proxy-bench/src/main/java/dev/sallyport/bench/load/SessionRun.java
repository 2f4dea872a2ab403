package dev.sallyport.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sessions per second at concurrency C: C independent loops, each running one session after
 * another. A session is connect, the proxy handshake (SOCKS5 greeting, RFC 1929 login when the
 * target has credentials, CONNECT; or an HTTP CONNECT), one byte to the echo port and back, and
 * close; the next starts when the close completes. Counted over a measurement window after a
 * warm-up window; bounded by both windows and by a maximum count. With credentials, one session
 * runs alone first so that the proxy's auth cache holds the login (cached logins are measured).
 */
final class SessionRun {

    private static final ByteBuf ONE_BYTE = Unpooled.unreleasableBuffer(Unpooled.directBuffer(1).writeByte('s').asReadOnly());

    private final LoadClient client;
    private final Target target;
    private final InetSocketAddress echo;
    private final long maxSessions;
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final CountDownLatch loopsDone;
    private volatile boolean stopping;

    private SessionRun(LoadClient client, Target target, InetSocketAddress echo, int concurrency, long maxSessions) {
        this.client = client;
        this.target = target;
        this.echo = echo;
        this.maxSessions = maxSessions;
        this.loopsDone = new CountDownLatch(concurrency);
    }

    static Result run(LoadClient client, Target target, InetSocketAddress echo, int concurrency, Duration warmup,
                      Duration window, long maxSessions, ProcStat proxy) throws InterruptedException {
        if (target.authenticates()) {
            // "Cached logins": one login before the crowd, or C concurrent first logins would each
            // pay the proxy's slow password hash and the window would measure that instead.
            SessionRun prime = new SessionRun(client, target, echo, 1, 1);
            prime.next();
            prime.loopsDone.await(30, TimeUnit.SECONDS);
        }
        SessionRun run = new SessionRun(client, target, echo, concurrency, maxSessions);
        for (int i = 0; i < concurrency; i++) {
            run.next();
        }
        boolean ended = run.loopsDone.await(warmup.toNanos(), TimeUnit.NANOSECONDS);
        long before = warmup.isZero() ? 0 : run.completed.get();
        long errorsBefore = warmup.isZero() ? 0 : run.errors.get();
        CpuMeter cpu = CpuMeter.start(proxy);
        if (!ended) {
            run.loopsDone.await(window.toNanos(), TimeUnit.NANOSECONDS);
        }
        cpu.stop();
        long sessions = run.completed.get() - before;
        long errors = run.errors.get() - errorsBefore;
        run.stopping = true;
        boolean drained = run.loopsDone.await(10, TimeUnit.SECONDS);

        Result result = new Result("sessions")
                .put("concurrency", concurrency)
                .put("auth", target.authenticates() ? "yes" : "no")
                .put("sessions", sessions)
                .put("errors", errors)
                .put("rate", sessions / (cpu.wallNanos() / 1e9));
        if (cpu.proxyNanos() >= 0 && sessions > 0) {
            result.put("proxy_cpu_us_per_session", cpu.proxyNanos() / 1e3 / sessions);
        }
        if (sessions > 0) {
            result.put("client_cpu_us_per_session", cpu.selfNanos() / 1e3 / sessions);
        }
        cpu.addTo(result);
        if (run.firstError.get() != null || !drained) {
            result.put("error", (run.firstError.get() != null ? run.firstError.get() : "sessions-did-not-drain").replaceAll("[\\s=]+", "_"));
        }
        return result;
    }

    /** Starts this loop's next session, or ends the loop. Runs on any thread. */
    private void next() {
        if (stopping || started.incrementAndGet() > maxSessions) {
            loopsDone.countDown();
            return;
        }
        client.open(target, echo, new EchoOnce()).addListener(f -> {
            if (f.isSuccess()) {
                Channel channel = (Channel) f.getNow();
                channel.writeAndFlush(ONE_BYTE.duplicate(), channel.voidPromise());
            } else {
                error(f.cause());
                next();
            }
        });
    }

    private void error(Throwable cause) {
        errors.incrementAndGet();
        firstError.compareAndSet(null, cause.getClass().getSimpleName() + ":" + cause.getMessage());
    }

    /** Waits for the echoed byte, closes, and starts the next session once closed. */
    private final class EchoOnce extends ChannelInboundHandlerAdapter {
        private boolean echoed;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (!echoed) {
                echoed = true;
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (echoed) {
                completed.incrementAndGet();
            } else {
                error(new java.io.IOException("closed before the echo"));
            }
            next();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}

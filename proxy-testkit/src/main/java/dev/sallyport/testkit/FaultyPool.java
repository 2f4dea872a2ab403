package dev.sallyport.testkit;

import dev.sallyport.api.ConnectionPool;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ConnectionPool} that applies {@link Faults} around another pool. Everything runs on the
 * connect's event loop: the latency is a scheduled task, a hang is a promise nobody completes,
 * a refusal a failed future, a reset a handler at the head of the outbound pipeline.
 */
final class FaultyPool implements ConnectionPool {

    private final Faults faults;
    private final ConnectionPool pool;

    FaultyPool(Faults faults, ConnectionPool pool) {
        this.faults = faults;
        this.pool = pool;
    }

    @Override
    public Future<Channel> acquire(InetSocketAddress address, EventLoop eventLoop, Dialer dialer) {
        Faults.State state = faults.current();
        if (state.latencyNanos() == 0) {
            return connect(state, address, eventLoop, dialer);
        }
        Promise<Channel> delayed = eventLoop.newPromise();
        ScheduledFuture<?> timer = eventLoop.schedule(() -> {
            if (!delayed.isDone()) {
                follow(connect(state, address, eventLoop, dialer), delayed);
            }
        }, state.latencyNanos(), TimeUnit.NANOSECONDS);
        delayed.addListener(f -> {
            if (f.isCancelled()) {
                timer.cancel(false);
            }
        });
        return delayed;
    }

    private Future<Channel> connect(Faults.State state, InetSocketAddress address, EventLoop eventLoop, Dialer dialer) {
        if (state.hang()) {
            // Core cancels it at its connect timeout; nothing is held meanwhile.
            return eventLoop.newPromise();
        }
        Exception failure = state.refusal() == null ? null : state.refusal().failure();
        if (failure != null) {
            return eventLoop.newFailedFuture(failure);
        }
        Future<Channel> acquired = pool.acquire(address, eventLoop, dialer);
        if (state.resetAfter() >= 0) {
            // Added before the caller's listeners, so the handler is in place when they run.
            acquired.addListener(f -> {
                if (f.isSuccess()) {
                    ResetAfter.install((Channel) f.getNow(), state.resetAfter(), state.resetDirection());
                }
            });
        }
        return acquired;
    }

    /** Completes {@code promise} as {@code source} completes; a channel nobody takes goes back. */
    private void follow(Future<Channel> source, Promise<Channel> promise) {
        source.addListener(f -> {
            if (f.isSuccess()) {
                Channel channel = (Channel) f.getNow();
                if (!promise.trySuccess(channel)) {
                    release(channel, false);
                }
            } else if (f.isCancelled()) {
                promise.cancel(false);
            } else {
                promise.tryFailure(f.cause());
            }
        });
        promise.addListener(f -> {
            if (f.isCancelled()) {
                source.cancel(false);
            }
        });
    }

    @Override
    public void release(Channel channel, boolean reusable) {
        EventLoop loop = channel.eventLoop();
        if (!loop.inEventLoop()) {
            loop.execute(() -> release(channel, reusable));
            return;
        }
        // A channel that carried a reset fault goes back clean (or not at all, if it fired).
        boolean fired = ResetAfter.remove(channel);
        pool.release(channel, reusable && !fired);
    }

    @Override
    public String toString() {
        return "Faults.wrap(" + pool + ")";
    }
}

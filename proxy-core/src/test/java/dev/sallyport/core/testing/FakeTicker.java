package dev.sallyport.core.testing;

import dev.sallyport.core.Ticker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when a test advances it. Starts at an arbitrary non-zero reading. */
public final class FakeTicker implements Ticker {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long read() {
        return nanos.get();
    }

    /** Moves time forward by {@code amount}. */
    public void advance(Duration amount) {
        advanceNanos(amount.toNanos());
    }

    /** Moves time forward by {@code amount} nanoseconds. */
    public void advanceNanos(long amount) {
        if (amount < 0) {
            throw new IllegalArgumentException("amount: " + amount + " (expected: >= 0)");
        }
        nanos.addAndGet(amount);
    }
}

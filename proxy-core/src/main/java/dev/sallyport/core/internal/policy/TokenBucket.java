package dev.sallyport.core.internal.policy;

import dev.sallyport.core.Ticker;

/**
 * A token bucket refilled at {@code rate} tokens per second up to {@code capacity}. Thread-safe:
 * one bucket may be shared by sessions on several event loops (a user's bandwidth), so each call
 * holds the lock for a few arithmetic operations only.
 */
public final class TokenBucket {

    private static final long NANOS = 1_000_000_000L;

    private final Ticker ticker;
    private long rate;
    private long capacity;
    private double tokens;
    private long last;

    TokenBucket(Ticker ticker, long rate, long capacity) {
        this.ticker = ticker;
        this.rate = rate;
        this.capacity = capacity;
        this.tokens = capacity;
        this.last = ticker.read();
    }

    /** A bucket for shaping bandwidth: a tenth of a second of burst, at least 16 KiB. */
    static TokenBucket bandwidth(Ticker ticker, long bytesPerSecond) {
        return new TokenBucket(ticker, bytesPerSecond, burst(bytesPerSecond));
    }

    private static long burst(long bytesPerSecond) {
        return Math.max(bytesPerSecond / 10, 16 * 1024);
    }

    public synchronized long rate() {
        return rate;
    }

    /** Changes the rate at once (live limit changes); keeps the current balance. */
    public synchronized void rate(long newRate, boolean bandwidth) {
        refill();
        rate = newRate;
        capacity = bandwidth ? burst(newRate) : newRate;
        tokens = Math.min(tokens, (double) capacity);
    }

    /** Takes one token if there is one (session rate limiting). */
    synchronized boolean tryAcquire() {
        refill();
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /**
     * Takes {@code amount} tokens, going into debt if needed, and returns how many nanoseconds
     * the caller should pause so that the debt is paid back (0 when none). Bytes already read are
     * never dropped: shaping delays the next read instead.
     */
    public synchronized long consume(long amount) {
        refill();
        tokens -= amount;
        if (tokens >= 0) {
            return 0;
        }
        return (long) (-tokens * NANOS / rate);
    }

    /**
     * Nanoseconds until the bucket is full again if nothing more is taken; 0 when it is full, that
     * is when it holds exactly what a new bucket would. One nanosecond more than the exact figure,
     * so that rounding never leaves the bucket a fraction short at that time.
     */
    synchronized long nanosUntilFull() {
        refill();
        double missing = capacity - tokens;
        return missing <= 0 ? 0 : (long) Math.ceil(missing * NANOS / rate) + 1;
    }

    private void refill() {
        long now = ticker.read();
        long elapsed = now - last;
        if (elapsed > 0) {
            tokens = Math.min((double) capacity, tokens + (double) elapsed * rate / NANOS);
            last = now;
        }
    }
}

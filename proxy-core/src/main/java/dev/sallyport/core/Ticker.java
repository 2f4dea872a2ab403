package dev.sallyport.core;

/**
 * A source of nanosecond time for limits, lockouts and caches, so tests control time instead of
 * waiting for it. Only differences between readings mean anything.
 */
@FunctionalInterface
public interface Ticker {

    /**
     * Nanoseconds from an arbitrary origin; never decreases.
     *
     * @return the current reading in nanoseconds
     */
    long read();

    /**
     * {@link System#nanoTime()}: the default.
     *
     * @return the system ticker
     */
    static Ticker system() {
        return System::nanoTime;
    }
}

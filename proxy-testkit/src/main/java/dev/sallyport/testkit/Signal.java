package dev.sallyport.testkit;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/** Lets a test thread wait for state that other threads change, without polling or sleeping. */
final class Signal {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    /** Wakes every waiter so it checks its condition again. */
    void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@code ready} returns non-null, up to {@code timeout}; then returns it.
     *
     * @throws AssertionError after {@code timeout}, with {@code what} and what {@code describe} says
     */
    <T> T await(Supplier<T> ready, Duration timeout, String what, Supplier<String> describe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            for (T result = ready.get(); ; result = ready.get()) {
                if (result != null) {
                    return result;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + what + " within " + timeout + ", but " + describe.get());
                }
                // State changes before signal() takes the lock, so no wake-up is lost between check and wait.
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        } finally {
            lock.unlock();
        }
    }

    static Duration requireTimeout(Duration timeout) {
        java.util.Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
        }
        return timeout;
    }
}

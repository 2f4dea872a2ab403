package dev.sallyport.bench.fuzz;

import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Times each fuzzed input. Work on an embedded channel is synchronous, so an input that loops
 * would never return: a daemon thread reports any input still running after {@link #LIMIT}, with
 * its bytes and the fuzzing thread's stack, on standard error (the surefire fork's timeout then
 * ends the run); an input that returns late fails its property. Also counts the inputs, prints
 * a progress line every 100,000, and keeps the longest time one took, for the run's report.
 */
final class Watchdog {

    static final Duration LIMIT = Duration.ofSeconds(10);

    private static final AtomicLong INPUTS = new AtomicLong();
    private static final AtomicLong LONGEST_NANOS = new AtomicLong();
    private static final AtomicLong SINCE = new AtomicLong(System.nanoTime());
    private static final ScheduledExecutorService WATCHER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "fuzz-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private static volatile Watchdog current;

    static {
        WATCHER.scheduleWithFixedDelay(Watchdog::check, 1, 1, TimeUnit.SECONDS);
    }

    private final byte[] input;
    private final Thread thread = Thread.currentThread();
    private final long start = System.nanoTime();
    private volatile boolean reported;

    private Watchdog(byte[] input) {
        this.input = input;
    }

    /** Runs {@code work}, the run of {@code input}, timed and watched. */
    static void run(byte[] input, Runnable work) {
        Watchdog watch = new Watchdog(input);
        current = watch;
        try {
            work.run();
        } finally {
            current = null;
        }
        watch.done();
    }

    private void done() {
        long nanos = System.nanoTime() - start;
        long inputs = INPUTS.incrementAndGet();
        if (inputs % 100_000 == 0) {
            System.out.println("fuzz: " + inputs + " inputs, " + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - SINCE.get()) + " s");
        }
        LONGEST_NANOS.accumulateAndGet(nanos, Math::max);
        if (nanos > LIMIT.toNanos()) {
            throw new AssertionError("input took " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms (limit: " + LIMIT + ")");
        }
    }

    /** The inputs run so far and the longest time one took, then starts counting afresh. */
    static String report() {
        SINCE.set(System.nanoTime());
        return INPUTS.getAndSet(0) + " inputs, longest " + String.format("%.1f", LONGEST_NANOS.getAndSet(0) / 1e6) + " ms";
    }

    private static void check() {
        Watchdog watch = current;
        if (watch == null || watch.reported || System.nanoTime() - watch.start < LIMIT.toNanos()) {
            return;
        }
        watch.reported = true;
        StringBuilder stack = new StringBuilder();
        for (StackTraceElement frame : watch.thread.getStackTrace()) {
            stack.append("\n\tat ").append(frame);
        }
        System.err.println("FUZZ HANG: an input has run for over " + LIMIT + ": "
                + HexFormat.of().formatHex(watch.input) + stack);
    }
}

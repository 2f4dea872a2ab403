package dev.sallyport.core.internal;

import io.netty.util.concurrent.FastThreadLocalThread;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads core creates: daemon threads (a host that forgets {@code close()} can still exit) named
 * {@code prefix} plus a number, the prefix naming the manager (so a thread dump tells managers
 * apart). Netty's fast thread-locals work on them.
 */
public final class Threads {

    private Threads() {
    }

    public static ThreadFactory daemon(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new FastThreadLocalThread(runnable, prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}

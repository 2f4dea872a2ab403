package dev.sallyport.core.internal;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
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

    /** Completes once every thread of {@code group} ran a task submitted now; exceptionally once they are gone. */
    public static CompletableFuture<Void> ping(Iterable<EventExecutor> group) {
        List<CompletableFuture<Void>> answers = new ArrayList<>();
        for (EventExecutor loop : group) {
            CompletableFuture<Void> answer = new CompletableFuture<>();
            try {
                loop.execute(() -> answer.complete(null));
            } catch (RejectedExecutionException e) {
                answer.completeExceptionally(e);
            }
            answers.add(answer);
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new));
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

package dev.sallyport.core.internal.policy;

import dev.sallyport.core.Ticker;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The password checks on their way to the auth backends. At most {@code concurrency} run at once;
 * the others wait in one queue per client source ({@link LoginGuard#source}), served round robin,
 * so a flood from one source delays that source's own checks, not everyone's. At most
 * {@code perSource} checks wait per source and {@code total} in all; beyond that a check is refused
 * at once (overloaded: never run, never counted as a failed login).
 *
 * <p>A check carries the deadlines of the logins waiting for it. One whose every login left or
 * passed its deadline is given up when its turn comes, never run. One still running past every
 * deadline gives its slot up when a waiting check needs it, so a backend that never answers
 * cannot stall every login.
 *
 * <p>Thread-safe: one lock, held for the queue's own bookkeeping; checks are started and given up
 * outside it.
 */
public final class LoginQueue {

    /** Checks waiting per source, by default. */
    public static final int PER_SOURCE = 32;
    /** Checks waiting in all, by default. */
    public static final int TOTAL = 1024;

    /**
     * A login waiting for a check: its deadline on the ticker, and whether its client left.
     *
     * @param deadline ticker reading after which the answer no longer matters
     * @param left     whether the client is gone (closed, or its request ended otherwise)
     */
    public record Caller(long deadline, BooleanSupplier left) {

        /** A caller that never leaves and has no deadline worth the name (about 146 years). */
        public static Caller patient(Ticker ticker) {
            return new Caller(ticker.read() + (Long.MAX_VALUE >> 1), () -> false);
        }

        boolean overdue(long now) {
            return now - deadline >= 0;
        }
    }

    /** One check, shared by every login with the same credentials that came while it waited or ran. */
    public abstract static class Ticket {
        final InetAddress source;
        private final List<Caller> callers = new ArrayList<>(1);

        protected Ticket(InetAddress source, Caller caller) {
            this.source = source;
            callers.add(caller);
        }

        /** Another login waits for this check too: it lives as long as any of them. */
        public final synchronized void join(Caller caller) {
            callers.add(caller);
        }

        /** Whether no caller waits any more: all left or passed their deadline. */
        final synchronized boolean unwanted(long now) {
            for (Caller caller : callers) {
                if (!caller.overdue(now) && !caller.left().getAsBoolean()) {
                    return false;
                }
            }
            return true;
        }

        /** Whether every caller's deadline passed. */
        final synchronized boolean overdue(long now) {
            for (Caller caller : callers) {
                if (!caller.overdue(now)) {
                    return false;
                }
            }
            return true;
        }

        /** Starts the check; called once, without the queue's lock. */
        protected abstract void start();

        /** Gives the check up, waiting or running; called at most once, without the queue's lock. */
        protected abstract void giveUp();
    }

    private final Ticker ticker;
    private final int concurrency;
    private final int perSource;
    private final int total;
    private final Map<InetAddress, ArrayDeque<Ticket>> waiting = new HashMap<>();
    /** The sources with checks waiting, in turn order: exactly the keys of {@link #waiting}. */
    private final ArrayDeque<InetAddress> turns = new ArrayDeque<>();
    private final List<Ticket> running = new ArrayList<>();
    private int waitingCount;

    public LoginQueue(Ticker ticker, int concurrency) {
        this(ticker, concurrency, PER_SOURCE, TOTAL);
    }

    LoginQueue(Ticker ticker, int concurrency, int perSource, int total) {
        this.ticker = ticker;
        this.concurrency = concurrency;
        this.perSource = perSource;
        this.total = total;
    }

    /** Queues {@code ticket}, starting it when its turn comes; false, doing nothing, when the queue is full. */
    public boolean submit(Ticket ticket) {
        List<Ticket> start = new ArrayList<>(1);
        List<Ticket> giveUp = new ArrayList<>(0);
        boolean queued;
        synchronized (this) {
            long now = ticker.read();
            if (waitingCount == 0 && running.size() < concurrency) {
                running.add(ticket);
                start.add(ticket);
                queued = true;
            } else {
                if (running.size() >= concurrency) {
                    reclaimOverdue(now, giveUp);
                }
                ArrayDeque<Ticket> queue = waiting.get(ticket.source);
                if (queue != null && queue.size() >= perSource) {
                    purge(ticket.source, now, giveUp);
                    queue = waiting.get(ticket.source);
                }
                if (waitingCount >= total) {
                    for (InetAddress source : List.copyOf(turns)) {
                        purge(source, now, giveUp);
                    }
                    queue = waiting.get(ticket.source);
                }
                queued = (queue == null || queue.size() < perSource) && waitingCount < total;
                if (queued) {
                    if (queue == null) {
                        queue = new ArrayDeque<>();
                        waiting.put(ticket.source, queue);
                        turns.addLast(ticket.source);
                    }
                    queue.addLast(ticket);
                    waitingCount++;
                }
                pump(now, start, giveUp);
            }
        }
        run(start, giveUp);
        return queued;
    }

    /** A started check ended: its slot goes to the next waiting one. */
    public void finished(Ticket ticket) {
        List<Ticket> start = new ArrayList<>(1);
        List<Ticket> giveUp = new ArrayList<>(0);
        synchronized (this) {
            if (!running.remove(ticket)) {
                return;
            }
            pump(ticker.read(), start, giveUp);
        }
        run(start, giveUp);
    }

    /** Checks waiting right now. */
    synchronized int waiting() {
        return waitingCount;
    }

    /** Fills free slots round robin over the sources; unwanted checks met on the way are given up. */
    private void pump(long now, List<Ticket> start, List<Ticket> giveUp) {
        while (running.size() < concurrency && waitingCount > 0) {
            InetAddress source = turns.pollFirst();
            ArrayDeque<Ticket> queue = waiting.get(source);
            Ticket next = queue.pollFirst();
            waitingCount--;
            if (queue.isEmpty()) {
                waiting.remove(source);
            } else {
                turns.addLast(source);
            }
            if (next.unwanted(now)) {
                giveUp.add(next);
            } else {
                running.add(next);
                start.add(next);
            }
        }
    }

    /** Frees the slots of running checks nobody waits for any more (a backend that hangs). */
    private void reclaimOverdue(long now, List<Ticket> giveUp) {
        for (Iterator<Ticket> it = running.iterator(); it.hasNext(); ) {
            Ticket ticket = it.next();
            if (ticket.overdue(now)) {
                it.remove();
                giveUp.add(ticket);
            }
        }
    }

    /** Drops the waiting checks of {@code source} nobody waits for any more, and its queue if that empties it. */
    private void purge(InetAddress source, long now, List<Ticket> giveUp) {
        ArrayDeque<Ticket> queue = waiting.get(source);
        for (Iterator<Ticket> it = queue.iterator(); it.hasNext(); ) {
            Ticket ticket = it.next();
            if (ticket.unwanted(now)) {
                it.remove();
                waitingCount--;
                giveUp.add(ticket);
            }
        }
        if (queue.isEmpty()) {
            waiting.remove(source);
            turns.remove(source);
        }
    }

    private static void run(List<Ticket> start, List<Ticket> giveUp) {
        for (Ticket ticket : giveUp) {
            ticket.giveUp();
        }
        for (Ticket ticket : start) {
            ticket.start();
        }
    }
}

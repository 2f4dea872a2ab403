package dev.sallyport.core.internal.route;

import dev.sallyport.core.internal.net.Addresses;
import io.netty.channel.Channel;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The active health checks of one route table: for each member of a group that asks for them, a
 * check on one event loop of the manager (no thread of its own); the next check of a member is
 * scheduled when the last one ended, so two never overlap; each is cut at the connect timeout.
 * A failed check counts as a failed connect ({@link Member#failed()}), a passed one brings a down
 * member back at once. Only state changes go to {@code MetricsSink.upstreamState}: checks are
 * not counted in {@code upstreamConnect}, whose outcomes and durations describe what sessions
 * met, and a probe every few seconds to a dead upstream would drown them.
 *
 * <p>Started when its table is put in force; stopped when the table is replaced or the manager
 * closes: a stopped check schedules nothing more and drops a probe in flight.
 */
public final class HealthChecks {

    private static final Logger log = LoggerFactory.getLogger(HealthChecks.class);

    private static final String EXPECTED = "connect or connect:HOST:PORT";

    private final List<Check> checks = new ArrayList<>();
    private volatile boolean stopped;

    HealthChecks(RouteTable table, Iterable<Group> groups, long timeoutMillis) {
        for (Group group : groups) {
            String check = group.config.healthCheck();
            if (check == null) {
                continue;
            }
            InetSocketAddress target = check.equals("connect") ? null : target(check);
            long intervalNanos = group.config.healthInterval().toNanos();
            for (Member member : group.members) {
                checks.add(new Check(table, member, target, intervalNanos, timeoutMillis));
            }
        }
    }

    /**
     * The target of a {@code connect:HOST:PORT} check: an address for a literal, else the name
     * unresolved (the upstream resolves it, as for sessions).
     *
     * @throws IllegalArgumentException when {@code check} is not of that form
     */
    public static InetSocketAddress target(String check) {
        String prefix = "connect:";
        int colon = check.lastIndexOf(':');
        if (!check.startsWith(prefix) || colon <= prefix.length()) {
            throw new IllegalArgumentException("healthCheck: '" + check + "' (expected: " + EXPECTED + ")");
        }
        String host = check.substring(prefix.length(), colon);
        boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (bracketed) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(check.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = 0;
        }
        if (port < 1 || port > 65535 || host.isEmpty() || host.indexOf(':') >= 0 && !bracketed) {
            throw new IllegalArgumentException("healthCheck: '" + check + "' (expected: " + EXPECTED
                    + ", port 1-65535, an IPv6 address in brackets)");
        }
        InetAddress literal = Addresses.literal(host);
        return literal != null ? new InetSocketAddress(literal, port) : InetSocketAddress.createUnresolved(host, port);
    }

    /** Starts every check on one of {@code loops}, the first at once. */
    void start(EventLoopGroup loops) {
        for (Check check : checks) {
            check.loop = loops.next();
            check.submit(check::run);
        }
    }

    /** Stops every check; idempotent. */
    void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (Check check : checks) {
            if (check.loop != null) {
                check.submit(check::halt);
            }
        }
    }

    /** The checks of one member; its fields are used on its event loop only. */
    private final class Check {
        private final RouteTable table;
        private final Member member;
        /** Null: a TCP connect to the last hop (through the hops before it). */
        private final InetSocketAddress target;
        private final long intervalNanos;
        private final long timeoutMillis;
        private EventLoop loop;
        private ScheduledFuture<?> next;
        private ScheduledFuture<?> deadline;
        private Tunnel probe;

        Check(RouteTable table, Member member, InetSocketAddress target, long intervalNanos, long timeoutMillis) {
            this.table = table;
            this.member = member;
            this.target = target;
            this.intervalNanos = intervalNanos;
            this.timeoutMillis = timeoutMillis;
        }

        /** Runs {@code task} on the loop; a loop already shutting down stops its tasks itself. */
        void submit(Runnable task) {
            try {
                loop.execute(task);
            } catch (RejectedExecutionException e) {
                log.debug("health check of {} not run: the event loop is shutting down", member.label);
            }
        }

        void run() {
            next = null;
            if (stopped) {
                return;
            }
            int hops = member.hops.size();
            InetSocketAddress destination = target != null ? target
                    : hops == 1 ? member.address : Tunnel.address(member.hops.get(hops - 1));
            Tunnel tunnel = Tunnel.open(table, member, target != null ? hops : hops - 1, destination, loop,
                    timeoutMillis, true);
            probe = tunnel;
            deadline = loop.schedule(() -> tunnel.abandon(new ConnectTimeoutException("health check of "
                    + member.label + " timed out after " + timeoutMillis + " ms")), timeoutMillis, TimeUnit.MILLISECONDS);
            tunnel.done().addListener(this::ended);
        }

        private void ended(Future<? super Channel> result) {
            deadline.cancel(false);
            probe = null;
            if (result.isSuccess()) {
                ((Channel) result.getNow()).close();
            }
            if (stopped) {
                return;
            }
            boolean changed;
            if (result.isSuccess()) {
                changed = member.succeeded();
            } else {
                log.debug("health check of {} failed", member.label, result.cause());
                changed = member.failed();
            }
            if (changed) {
                table.metrics().upstreamState(member.label, !member.down());
            }
            next = loop.schedule(this::run, intervalNanos, TimeUnit.NANOSECONDS);
        }

        void halt() {
            if (next != null) {
                next.cancel(false);
                next = null;
            }
            if (probe != null) {
                probe.abandon(new IllegalStateException("health checks stopped"));
            }
        }
    }
}

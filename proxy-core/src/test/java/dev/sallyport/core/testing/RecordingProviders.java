package dev.sallyport.core.testing;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AccessRuleProvider;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.ConnectionPoolProvider;
import dev.sallyport.api.Decision;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Test providers registered in this module's test {@code META-INF/services}: a rule and a pool
 * that record what happens to them ({@code evaluate:ID}, {@code acquire:ID}, {@code close:ID})
 * in {@link #EVENTS}, the ID being their {@code id} setting, so each test reads only its own.
 */
public final class RecordingProviders {

    /** Every event of every instance, in order. */
    public static final Queue<String> EVENTS = new ConcurrentLinkedQueue<>();

    private RecordingProviders() {
    }

    /** The events of instances with setting {@code id}, in order. */
    public static List<String> events(String id) {
        return EVENTS.stream().filter(e -> e.endsWith(":" + id)).toList();
    }

    private static String id(Map<String, String> settings) {
        String id = settings.get("id");
        if (id == null) {
            throw new IllegalArgumentException("recording: setting 'id' missing (expected: any text)");
        }
        return id;
    }

    /** {@code recording-rule}: settings {@code id} and {@code verdict} (allow, deny or abstain, the default). */
    public static final class RuleProvider implements AccessRuleProvider {
        @Override
        public String name() {
            return "recording-rule";
        }

        @Override
        public AccessRule create(Map<String, String> settings) {
            String id = id(settings);
            Decision decision = switch (settings.getOrDefault("verdict", "abstain")) {
                case "allow" -> Decision.allow("recording-rule " + id + " allows");
                case "deny" -> Decision.deny("recording-rule " + id + " denies");
                case "abstain" -> Decision.abstain();
                default -> throw new IllegalArgumentException("recording-rule: setting 'verdict' is "
                        + settings.get("verdict") + " (expected: allow, deny or abstain)");
            };
            return new Rule(id, decision);
        }
    }

    private record Rule(String id, Decision decision) implements AccessRule, AutoCloseable {
        @Override
        public Decision evaluate(AccessRequest request) {
            EVENTS.add("evaluate:" + id);
            return decision;
        }

        @Override
        public String name() {
            return id;
        }

        @Override
        public void close() {
            EVENTS.add("close:" + id);
        }
    }

    /** {@code recording-pool}: setting {@code id}; dials directly. */
    public static final class PoolProvider implements ConnectionPoolProvider {
        @Override
        public String name() {
            return "recording-pool";
        }

        @Override
        public ConnectionPool create(Map<String, String> settings) {
            return new Pool(id(settings));
        }
    }

    private record Pool(String id) implements ConnectionPool, AutoCloseable {
        @Override
        public Future<Channel> acquire(InetSocketAddress address, EventLoop eventLoop, Dialer dialer) {
            EVENTS.add("acquire:" + id);
            return dialer.dial(address, eventLoop);
        }

        @Override
        public void close() {
            EVENTS.add("close:" + id);
        }
    }
}

package dev.sallyport.core.internal.route;

import dev.sallyport.api.Principal;
import dev.sallyport.core.Ticker;
import dev.sallyport.core.UpstreamGroup;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream group at run time: its members and the choice of the first one a request tries.
 * Later tries of the same request take the members after it, in the group's order, skipping
 * those that are down.
 */
final class Group {

    final UpstreamGroup config;
    final Member[] members;
    private final AtomicInteger next = new AtomicInteger();
    private final int totalWeight;

    Group(UpstreamGroup config, Ticker ticker) {
        this.config = config;
        List<dev.sallyport.core.Upstream> upstreams = config.upstreams();
        this.members = new Member[upstreams.size()];
        int weights = 0;
        for (int i = 0; i < members.length; i++) {
            members[i] = new Member(config.name(), upstreams.get(i), ticker, config.maxFails(),
                    config.failTimeout().toNanos(), config.healthCheck() != null);
            weights += upstreams.get(i).weight();
        }
        this.totalWeight = weights;
    }

    String name() {
        return config.name();
    }

    /** The index of the member a new request tries first, by the group's strategy (may be down: the caller skips on). */
    int first(Principal principal, InetAddress client, String host, int port) {
        int n = members.length;
        return switch (config.strategy()) {
            case ROUND_ROBIN -> Math.floorMod(next.getAndIncrement(), n);
            case FAILOVER -> 0;
            case HASH_USER -> Math.floorMod(mix(principal.isAnonymous() ? client.hashCode() : principal.name().hashCode()), n);
            case HASH_DESTINATION -> Math.floorMod(mix(host.hashCode() * 31 + port), n);
            case WEIGHTED_RANDOM -> weighted();
            case LEAST_ACTIVE -> leastActive();
        };
    }

    private int weighted() {
        int r = ThreadLocalRandom.current().nextInt(totalWeight);
        for (int i = 0; i < members.length; i++) {
            r -= members[i].upstream.weight();
            if (r < 0) {
                return i;
            }
        }
        return members.length - 1;
    }

    private int leastActive() {
        int best = -1;
        int fewest = Integer.MAX_VALUE;
        for (int i = 0; i < members.length; i++) {
            int active = members[i].active.get();
            if (active < fewest && members[i].available()) {
                best = i;
                fewest = active;
            }
        }
        return Math.max(best, 0);
    }

    /** Spreads hash codes of similar strings (murmur3's finaliser). */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    /** Whether any member may be tried now. */
    boolean anyAvailable() {
        for (Member member : members) {
            if (member.available()) {
                return true;
            }
        }
        return false;
    }
}

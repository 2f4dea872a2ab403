package dev.sallyport.core.internal.route;

import dev.sallyport.api.Principal;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Each strategy's choice of the first upstream over 1000 sessions, and passive health on the core ticker. */
class GroupSelectionTest {

    private static final int SESSIONS = 1000;
    private static final InetAddress CLIENT = InetAddress.getLoopbackAddress();

    private final FakeTicker ticker = new FakeTicker();

    private Group group(UpstreamGroup.Strategy strategy, String... urls) {
        Upstream[] upstreams = new Upstream[urls.length];
        for (int i = 0; i < urls.length; i++) {
            upstreams[i] = Upstream.parse(urls[i]);
        }
        return new Group(UpstreamGroup.of("g", upstreams).strategy(strategy).maxFails(2)
                .failTimeout(Duration.ofSeconds(10)), ticker);
    }

    private static int[] firsts(Group group, java.util.function.IntFunction<Principal> who,
                                java.util.function.IntFunction<String> host) {
        int[] counts = new int[group.members.length];
        for (int i = 0; i < SESSIONS; i++) {
            counts[group.first(who.apply(i), CLIENT, host.apply(i), 443)]++;
        }
        return counts;
    }

    @Test
    void roundRobin_takesEachUpstreamInTurn() {
        Group group = group(UpstreamGroup.Strategy.ROUND_ROBIN, "socks5://127.0.0.1:1", "socks5://127.0.0.1:2",
                "socks5://127.0.0.1:3", "socks5://127.0.0.1:4");
        assertThat(firsts(group, i -> Principal.anonymous(), i -> "a.test")).containsExactly(250, 250, 250, 250);
    }

    @Test
    void weightedRandom_followsTheWeights() {
        Group group = group(UpstreamGroup.Strategy.WEIGHTED_RANDOM, "socks5://127.0.0.1:1?weight=1",
                "socks5://127.0.0.1:2?weight=3");
        int[] counts = firsts(group, i -> Principal.anonymous(), i -> "a.test");
        // Binomial(1000, 0.25): mean 250, sd 13.7; 6 sd either way.
        assertThat(counts[0]).isCloseTo(250, within(82));
        assertThat(counts[0] + counts[1]).isEqualTo(SESSIONS);
    }

    @Test
    void leastActive_takesTheUpstreamWithFewestSessions() {
        Group group = group(UpstreamGroup.Strategy.LEAST_ACTIVE, "socks5://127.0.0.1:1", "socks5://127.0.0.1:2",
                "socks5://127.0.0.1:3");
        int[] counts = new int[3];
        for (int i = 0; i < SESSIONS; i++) {
            int first = group.first(Principal.anonymous(), CLIENT, "a.test", 443);
            counts[first]++;
            // Sessions through the first upstream never end; the others end at once.
            if (first == 0) {
                group.members[0].active.incrementAndGet();
            }
        }
        assertThat(counts[0]).isEqualTo(1);
        assertThat(counts[1]).isEqualTo(SESSIONS - 1);
    }

    @Test
    void hashByUser_keepsEachUserOnOneUpstream_andSpreadsUsers() {
        Group group = group(UpstreamGroup.Strategy.HASH_USER, "socks5://127.0.0.1:1", "socks5://127.0.0.1:2",
                "socks5://127.0.0.1:3", "socks5://127.0.0.1:4");
        Map<String, Set<Integer>> byUser = new HashMap<>();
        int[] counts = new int[4];
        for (int i = 0; i < SESSIONS; i++) {
            String user = "user" + (i % 200);
            int first = group.first(Principal.of(user), CLIENT, "a.test", 443);
            byUser.computeIfAbsent(user, u -> new HashSet<>()).add(first);
            counts[first]++;
        }
        assertThat(byUser.values()).allSatisfy(set -> assertThat(set).hasSize(1));
        assertThat(java.util.Arrays.stream(counts).boxed().toList()).allSatisfy(c -> assertThat(c).isBetween(125, 375));
    }

    @Test
    void hashByDestination_keepsEachTargetOnOneUpstream_andSpreadsTargets() {
        Group group = group(UpstreamGroup.Strategy.HASH_DESTINATION, "socks5://127.0.0.1:1", "socks5://127.0.0.1:2");
        Map<String, Set<Integer>> byHost = new HashMap<>();
        int[] counts = new int[2];
        for (int i = 0; i < SESSIONS; i++) {
            String host = "host" + (i % 100) + ".test";
            int first = group.first(Principal.of("u" + i), CLIENT, host, 443);
            byHost.computeIfAbsent(host, h -> new HashSet<>()).add(first);
            counts[first]++;
        }
        assertThat(byHost.values()).allSatisfy(set -> assertThat(set).hasSize(1));
        assertThat(java.util.Arrays.stream(counts).boxed().toList()).allSatisfy(c -> assertThat(c).isBetween(300, 700));
    }

    @Test
    void failover_alwaysStartsWithThePrimary() {
        Group group = group(UpstreamGroup.Strategy.FAILOVER, "socks5://127.0.0.1:1", "socks5://127.0.0.1:2");
        assertThat(firsts(group, i -> Principal.of("u" + i), i -> "h" + i)).containsExactly(SESSIONS, 0);
    }

    @Test
    void maxFailsWithinTheWindow_marksDown_untilTheFailTimeoutPasses() {
        Group group = group(UpstreamGroup.Strategy.ROUND_ROBIN, "socks5://127.0.0.1:1", "socks5://127.0.0.1:2");
        Member member = group.members[0];
        member.failed();
        assertThat(member.available()).isTrue();
        member.failed();
        assertThat(member.available()).isFalse();
        assertThat(group.anyAvailable()).isTrue();
        ticker.advance(Duration.ofSeconds(9));
        assertThat(member.available()).isFalse();
        ticker.advance(Duration.ofSeconds(1));
        assertThat(member.available()).isTrue();
        assertThat(member.down()).isTrue();
        member.succeeded();
        assertThat(member.down()).isFalse();
    }

    @Test
    void failuresFurtherApartThanTheWindow_neverMarkDown() {
        Group group = group(UpstreamGroup.Strategy.ROUND_ROBIN, "socks5://127.0.0.1:1");
        Member member = group.members[0];
        for (int i = 0; i < 5; i++) {
            member.failed();
            ticker.advance(Duration.ofSeconds(11));
        }
        assertThat(member.down()).isFalse();
    }

    @Test
    void aFailedTryAfterTheTimeout_keepsItDownForAnotherTimeout() {
        Group group = group(UpstreamGroup.Strategy.ROUND_ROBIN, "socks5://127.0.0.1:1");
        Member member = group.members[0];
        member.failed();
        member.failed();
        ticker.advance(Duration.ofSeconds(10));
        assertThat(member.available()).isTrue();
        member.failed();
        assertThat(member.available()).isFalse();
        assertThat(group.anyAvailable()).isFalse();
    }
}

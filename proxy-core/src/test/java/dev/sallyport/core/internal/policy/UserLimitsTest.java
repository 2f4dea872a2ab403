package dev.sallyport.core.internal.policy;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-user session and bandwidth limits, on a fake ticker. */
class UserLimitsTest {

    private final FakeTicker ticker = new FakeTicker();
    private final InetAddress ip = new InetSocketAddress("192.0.2.1", 0).getAddress();
    private final InetAddress otherIp = new InetSocketAddress("192.0.2.2", 0).getAddress();
    /** Without default limits; tests of the defaults build their own. */
    private final UserLimits limits = new UserLimits(ticker, Limits.NONE);

    /** A session slot holder that records why it was revoked. */
    private static final class Session implements UserLimits.Holder {
        final List<String> revoked = new CopyOnWriteArrayList<>();

        @Override
        public void revoke(String reason) {
            revoked.add(reason);
        }
    }

    private static Principal user(String name, Limits own) {
        return new Principal(name, own, Map.of());
    }

    @Test
    void maxSessions_refusesTheSessionOverTheLimit_namingTheRule() {
        Principal alice = user("alice", Limits.NONE.withMaxSessions(2));

        assertThat(limits.admit(alice, ip, new Session()).refusal()).isNull();
        assertThat(limits.admit(alice, otherIp, new Session()).refusal()).isNull();
        UserLimits.Admitted third = limits.admit(alice, ip, new Session());

        assertThat(third.state()).isNull();
        assertThat(third.refusal()).isEqualTo(new UserLimits.Refusal("max-sessions", "user has 2 of 2 sessions open"));
        assertThat(limits.active("alice")).isEqualTo(2);
    }

    @Test
    void release_freesTheSlot_once() {
        Principal alice = user("alice", Limits.NONE.withMaxSessions(2));
        Session first = new Session();
        UserLimits.State state = limits.admit(alice, ip, first).state();
        limits.admit(alice, ip, new Session());

        limits.release(state, first);
        limits.release(state, first);

        assertThat(limits.active("alice")).isEqualTo(1);
        assertThat(limits.admit(alice, ip, new Session()).refusal()).isNull();
        assertThat(limits.admit(alice, ip, new Session()).refusal()).isNotNull();
    }

    @Test
    void sessionsOfOneUser_shareOneState() {
        Principal alice = user("alice", Limits.NONE.withBandwidth(1_000));

        UserLimits.State a = limits.admit(alice, ip, new Session()).state();
        UserLimits.State b = limits.admit(alice, otherIp, new Session()).state();

        assertThat(b).isSameAs(a);
        assertThat(a.key).isEqualTo("alice");
    }

    @Test
    void sessionsPerSecond_refusesOverTheRate_untilTheTickerRefillsIt() {
        Principal bob = user("bob", new Limits(0, 2, 0, 0));

        assertThat(limits.admit(bob, ip, new Session()).refusal()).isNull();
        assertThat(limits.admit(bob, ip, new Session()).refusal()).isNull();
        assertThat(limits.admit(bob, ip, new Session()).refusal())
                .isEqualTo(new UserLimits.Refusal("sessions-per-second", "over 2 new sessions/s"));
        assertThat(limits.active("bob")).isEqualTo(2);

        ticker.advance(Duration.ofMillis(500));

        assertThat(limits.admit(bob, ip, new Session()).refusal()).isNull();
        assertThat(limits.admit(bob, ip, new Session()).refusal()).isNotNull();
    }

    @Test
    void maxSessionsRefusal_isCheckedFirst_andTakesNoRateToken() {
        Principal carol = user("carol", new Limits(1, 2, 0, 0));
        Session first = new Session();
        UserLimits.State state = limits.admit(carol, ip, first).state();

        for (int i = 0; i < 5; i++) {
            assertThat(limits.admit(carol, ip, new Session()).refusal().rule()).isEqualTo("max-sessions");
        }
        limits.release(state, first);

        assertThat(limits.admit(carol, ip, new Session()).refusal()).isNull();
    }

    @Test
    void anonymous_isNotTracked_withoutDefaultLimits() {
        Session session = new Session();

        UserLimits.Admitted admitted = limits.admit(Principal.anonymous(), ip, session);
        limits.revoke("anonymous@192.0.2.1", "test");

        assertThat(limits.tracksAnonymous()).isFalse();
        assertThat(admitted).isEqualTo(new UserLimits.Admitted(null, null));
        assertThat(limits.active("anonymous@192.0.2.1")).isZero();
        assertThat(session.revoked).isEmpty();
    }

    @Test
    void anonymous_withDefaultLimits_isTrackedPerClientIp() {
        UserLimits withDefaults = new UserLimits(ticker, Limits.NONE.withMaxSessions(1));

        UserLimits.Admitted first = withDefaults.admit(Principal.anonymous(), ip, new Session());

        assertThat(withDefaults.tracksAnonymous()).isTrue();
        assertThat(first.state().key).isEqualTo("anonymous@192.0.2.1");
        assertThat(withDefaults.admit(Principal.anonymous(), ip, new Session()).refusal().rule()).isEqualTo("max-sessions");
        assertThat(withDefaults.admit(Principal.anonymous(), otherIp, new Session()).refusal()).isNull();
        assertThat(withDefaults.active("anonymous@192.0.2.1")).isEqualTo(1);
        assertThat(withDefaults.active("anonymous@192.0.2.2")).isEqualTo(1);
    }

    @Test
    void namedUser_isTrackedEvenWithoutAnyLimit() {

        UserLimits.Admitted admitted = limits.admit(Principal.of("dave"), ip, new Session());

        assertThat(admitted.state()).isNotNull();
        assertThat(admitted.state().up).isNull();
        assertThat(admitted.state().down).isNull();
        assertThat(limits.active("dave")).isEqualTo(1);
    }

    @Test
    void release_ofTheLastSession_dropsTheStateWhenItHoldsNoBucket() {
        Principal erin = user("erin", Limits.NONE.withMaxSessions(3));
        Session session = new Session();
        UserLimits.State before = limits.admit(erin, ip, session).state();

        limits.release(before, session);

        assertThat(limits.active("erin")).isZero();
        assertThat(limits.admit(erin, ip, new Session()).state()).isNotSameAs(before);
    }

    @Test
    void release_ofTheLastSession_keepsAStateWithBuckets_soReconnectingDoesNotRefillThem() {
        Principal frank = user("frank", Limits.NONE.withBandwidth(1_000));
        Session session = new Session();
        UserLimits.State before = limits.admit(frank, ip, session).state();
        before.down.consume(16 * 1024 + 1_000); // one second in debt

        limits.release(before, session);
        UserLimits.State after = limits.admit(frank, ip, new Session()).state();

        assertThat(after).isSameAs(before);
        assertThat(after.down.consume(0)).isEqualTo(1_000_000_000L);
    }

    @Test
    void bandwidth_limitsGetOneBucketPerDirection() {

        UserLimits.State state = limits.admit(user("gina", new Limits(0, 0, 1_000, 3_000)), ip, new Session()).state();

        assertThat(state.up.rate()).isEqualTo(1_000);
        assertThat(state.down.rate()).isEqualTo(3_000);
        assertThat(state.up).isNotSameAs(state.down);
    }

    @Test
    void update_reshapesTheLiveBuckets_inPlace() {
        UserLimits.State state = limits.admit(user("hal", Limits.NONE.withBandwidth(1_000)), ip, new Session()).state();
        TokenBucket up = state.up;
        TokenBucket down = state.down;

        limits.update("hal", Limits.NONE.withBandwidth(5_000));

        assertThat(state.up).isSameAs(up);
        assertThat(state.down).isSameAs(down);
        assertThat(up.rate()).isEqualTo(5_000);
        assertThat(down.rate()).isEqualTo(5_000);
    }

    @Test
    void update_removingTheBandwidthLimit_dropsTheBuckets() {
        UserLimits.State state = limits.admit(user("ivy", Limits.NONE.withBandwidth(1_000)), ip, new Session()).state();

        limits.update("ivy", Limits.NONE);

        assertThat(state.up).isNull();
        assertThat(state.down).isNull();
    }

    @Test
    void update_fallsBackToTheDefaults() {
        UserLimits withDefaults = new UserLimits(ticker, Limits.NONE.withBandwidth(2_000));
        UserLimits.State state = withDefaults.admit(user("jay", Limits.NONE.withBandwidth(9_000)), ip, new Session()).state();

        withDefaults.update("jay", Limits.NONE);

        assertThat(state.up.rate()).isEqualTo(2_000);
        assertThat(state.down.rate()).isEqualTo(2_000);
    }

    @Test
    void update_ofAUserWithoutSessions_isANoOp() {

        limits.update("nobody", Limits.NONE.withMaxSessions(1));

        assertThat(limits.active("nobody")).isZero();
    }

    @Test
    void admit_appliesTheLimitsThePrincipalCarries_toTheSharedState() {
        UserLimits.State state = limits.admit(user("kim", Limits.NONE.withBandwidth(1_000)), ip, new Session()).state();

        limits.admit(user("kim", Limits.NONE.withBandwidth(7_000)), ip, new Session());

        assertThat(state.up.rate()).isEqualTo(7_000);
    }

    @Test
    void revoke_callsEveryHolderOfThatUser_withTheReason() {
        Session a = new Session();
        Session b = new Session();
        Session released = new Session();
        Session otherUser = new Session();
        limits.admit(Principal.of("lee"), ip, a);
        limits.admit(Principal.of("lee"), otherIp, b);
        UserLimits.State state = limits.admit(Principal.of("lee"), ip, released).state();
        limits.release(state, released);
        limits.admit(Principal.of("max"), ip, otherUser);

        limits.revoke("lee", "user disabled");
        limits.revoke("nobody", "user deleted");

        assertThat(a.revoked).containsExactly("user disabled");
        assertThat(b.revoked).containsExactly("user disabled");
        assertThat(released.revoked).isEmpty();
        assertThat(otherUser.revoked).isEmpty();
    }

    @Test
    void effective_fallsBackToTheDefaults_fieldByField() {
        UserLimits withDefaults = new UserLimits(ticker, new Limits(1, 2, 3, 4));

        assertThat(withDefaults.effective(new Limits(0, 5, 0, 7))).isEqualTo(new Limits(1, 5, 3, 7));
        assertThat(withDefaults.effective(new Limits(9, 0, 8, 0))).isEqualTo(new Limits(9, 2, 8, 4));
        assertThat(withDefaults.effective(Limits.NONE)).isEqualTo(new Limits(1, 2, 3, 4));
        assertThat(withDefaults.effective(new Limits(10, 20, 30, 40))).isEqualTo(new Limits(10, 20, 30, 40));
    }

    @Test
    void key_isTheUserName_orAnonymousAtTheClientIp() {
        assertThat(UserLimits.key(Principal.of("amy"), ip)).isEqualTo("amy");
        assertThat(UserLimits.key(Principal.anonymous(), ip)).isEqualTo("anonymous@192.0.2.1");
        // Only the anonymous principal is keyed by IP, not a user who happens to be named so.
        assertThat(UserLimits.key(Principal.of("anonymous"), ip)).isEqualTo("anonymous");
    }
}

package dev.sallyport.core.internal.policy;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A fleet's share of a user's bandwidth re-shapes the user's buckets on this instance. */
class UserLimitsShareTest {

    private final UserLimits limits = new UserLimits(new FakeTicker(), Limits.NONE);
    private final InetAddress ip = InetAddress.getLoopbackAddress();
    private final UserLimits.Holder session = reason -> { };

    private UserLimits.State admit(String name, Limits own) {
        return limits.admit(new Principal(name, own, Map.of()), ip, session).state();
    }

    @Test
    void share_setsBothBucketsToThatFractionOfTheLimits() {
        UserLimits.State state = admit("alice", new Limits(0, 0, 100_000, 40_000));

        limits.share("alice", 0.25);

        assertThat(state.up.rate()).isEqualTo(25_000);
        assertThat(state.down.rate()).isEqualTo(10_000);
        limits.share("alice", 1);
        assertThat(state.up.rate()).isEqualTo(100_000);
        assertThat(state.down.rate()).isEqualTo(40_000);
    }

    @Test
    void share_keptWhenTheLimitsChange_appliedToTheNewLimits() {
        UserLimits.State state = admit("bob", Limits.NONE.withBandwidth(90_000));
        limits.share("bob", 1.0 / 3);

        limits.update("bob", Limits.NONE.withBandwidth(60_000));

        assertThat(state.up.rate()).isEqualTo(20_000);
        assertThat(state.down.rate()).isEqualTo(20_000);
    }

    @Test
    void share_tinyFraction_atLeastOneBytePerSecond_noLimitStaysNone() {
        UserLimits.State state = admit("carol", new Limits(0, 0, 10, 0));

        limits.share("carol", 0.0001);

        assertThat(state.up.rate()).isEqualTo(1);
        assertThat(state.down).isNull();
    }

    @Test
    void share_ofAUserWithoutState_isIgnored() {
        limits.share("nobody", 0.5);

        assertThat(limits.tracked()).isZero();
    }

    @Test
    void share_outsideZeroToOne_isRefused() {
        assertThatThrownBy(() -> limits.share("alice", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fraction: 0.0 (expected: > 0 and <= 1)");
        assertThatThrownBy(() -> limits.share("alice", 1.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fraction: 1.5 (expected: > 0 and <= 1)");
    }
}

package dev.sallyport.core.internal.policy;

import dev.sallyport.api.Limits;
import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The cap on BIND listeners waiting at once, counted per user (per client IP without a login). */
class UserLimitsBindListenersTest {

    private final UserLimits limits = new UserLimits(new FakeTicker(), Limits.NONE);

    @Test
    void openBindListener_upToTheCap_thenRefused_untilOneCloses() {
        assertThat(limits.openBindListener("alice", 2)).isTrue();
        assertThat(limits.openBindListener("alice", 2)).isTrue();
        assertThat(limits.openBindListener("alice", 2)).isFalse();
        assertThat(limits.openBindListener("bob", 2)).as("another user's count").isTrue();

        limits.closeBindListener("alice");
        assertThat(limits.openBindListener("alice", 2)).isTrue();
        assertThat(limits.openBindListener("alice", 2)).isFalse();
    }

    @Test
    void closeBindListener_ofTheLastOne_forgetsTheUser() {
        assertThat(limits.openBindListener("anonymous@192.0.2.1", 1)).isTrue();
        limits.closeBindListener("anonymous@192.0.2.1");
        limits.closeBindListener("anonymous@192.0.2.1"); // once too often: no negative count
        assertThat(limits.openBindListener("anonymous@192.0.2.1", 1)).isTrue();
        assertThat(limits.openBindListener("anonymous@192.0.2.1", 1)).isFalse();
    }
}

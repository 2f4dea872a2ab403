package dev.sallyport.core.internal.policy;

import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Brute-force protection per client IP: back-off, window, lockout, on a fake ticker. */
class LoginGuardTest {

    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration LOCKOUT = Duration.ofMinutes(5);
    private static final Duration BACKOFF = Duration.ofMillis(100);

    private final FakeTicker ticker = new FakeTicker();
    private final InetAddress ip = new InetSocketAddress("192.0.2.1", 0).getAddress();
    private final InetAddress otherIp = new InetSocketAddress("192.0.2.2", 0).getAddress();

    private LoginGuard guard(int maxFailures) {
        return new LoginGuard(ticker, maxFailures, WINDOW, LOCKOUT, BACKOFF);
    }

    @Test
    void maxFailuresZero_disablesTheGuard_noDelayAndNeverLocked() {
        LoginGuard guard = guard(0);

        for (int i = 0; i < 50; i++) {
            assertThat(guard.failed(ip)).isEqualTo(new LoginGuard.Failure(0, false));
        }
        assertThat(guard.enabled()).isFalse();
        assertThat(guard.lockedOut(ip)).isFalse();
    }

    @Test
    void failureDelay_doublesFromTheBackoffWithEachFailure_upToTwoSeconds() {
        LoginGuard guard = guard(100);

        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            delays.add(Duration.ofNanos(guard.failed(ip).delayNanos()).toMillis());
        }

        assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1600L, 2000L, 2000L, 2000L);
    }

    @Test
    void backoffZero_noDelay_butTheLockoutStillApplies() {
        LoginGuard guard = new LoginGuard(ticker, 2, WINDOW, LOCKOUT, Duration.ZERO);

        assertThat(guard.failed(ip)).isEqualTo(new LoginGuard.Failure(0, false));
        assertThat(guard.failed(ip)).isEqualTo(new LoginGuard.Failure(0, true));
        assertThat(guard.lockedOut(ip)).isTrue();
    }

    @Test
    void lockout_startsWithTheNthFailureInTheWindow_andIsReportedOnce() {
        LoginGuard guard = guard(3);

        assertThat(guard.failed(ip).lockedNow()).isFalse();
        assertThat(guard.failed(ip).lockedNow()).isFalse();
        assertThat(guard.lockedOut(ip)).isFalse();
        assertThat(guard.failed(ip).lockedNow()).isTrue();
        assertThat(guard.lockedOut(ip)).isTrue();
        assertThat(guard.failed(ip).lockedNow()).isFalse();
        assertThat(guard.lockedOut(ip)).isTrue();
    }

    @Test
    void lockout_lastsExactlyTheLockoutDuration() {
        LoginGuard guard = guard(2);
        guard.failed(ip);
        guard.failed(ip);

        ticker.advance(LOCKOUT.minusNanos(1));
        assertThat(guard.lockedOut(ip)).isTrue();
        ticker.advanceNanos(1);
        assertThat(guard.lockedOut(ip)).isFalse();
    }

    @Test
    void lockout_isNotExtendedByFailuresDuringIt_butTheyStillDoubleTheDelay() {
        LoginGuard guard = guard(2);
        guard.failed(ip);
        guard.failed(ip);

        ticker.advance(Duration.ofSeconds(30));
        LoginGuard.Failure during = guard.failed(ip);
        ticker.advance(LOCKOUT.minusSeconds(30));

        assertThat(during.lockedNow()).isFalse();
        assertThat(during.delayNanos()).isEqualTo(Duration.ofMillis(400).toNanos());
        assertThat(guard.lockedOut(ip)).isFalse();
    }

    @Test
    void lockoutEnd_forgetsTheFailures_soTheNextStartsAgainFromOne() {
        LoginGuard guard = guard(2);
        guard.failed(ip);
        guard.failed(ip);
        ticker.advance(LOCKOUT);
        assertThat(guard.lockedOut(ip)).isFalse();

        LoginGuard.Failure next = guard.failed(ip);

        assertThat(next).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), false));
        assertThat(guard.lockedOut(ip)).isFalse();
        assertThat(guard.failed(ip).lockedNow()).isTrue();
    }

    @Test
    void failuresOlderThanTheWindow_doNotCount() {
        LoginGuard guard = guard(3);
        guard.failed(ip);
        ticker.advance(Duration.ofSeconds(30));
        guard.failed(ip);
        ticker.advance(Duration.ofSeconds(30).plusNanos(1)); // the first failure is now older than the window

        LoginGuard.Failure third = guard.failed(ip);

        assertThat(third).isEqualTo(new LoginGuard.Failure(Duration.ofMillis(200).toNanos(), false));
        assertThat(guard.lockedOut(ip)).isFalse();
    }

    @Test
    void aFailureExactlyOneWindowOld_stillCounts() {
        LoginGuard guard = guard(3);
        guard.failed(ip);
        ticker.advance(WINDOW);
        guard.failed(ip);

        assertThat(guard.failed(ip).lockedNow()).isTrue();
    }

    @Test
    void success_clearsTheFailuresOfThatAddress() {
        LoginGuard guard = guard(3);
        guard.failed(ip);
        guard.failed(ip);

        guard.succeeded(ip);

        assertThat(guard.failed(ip)).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), false));
        assertThat(guard.failed(ip).lockedNow()).isFalse();
        assertThat(guard.failed(ip).lockedNow()).isTrue();
    }

    @Test
    void success_duringALockout_neitherUnlocksNorClears() {
        LoginGuard guard = guard(2);
        guard.failed(ip);
        guard.failed(ip);

        guard.succeeded(ip);

        assertThat(guard.lockedOut(ip)).isTrue();
        assertThat(guard.failed(ip).delayNanos()).isEqualTo(Duration.ofMillis(400).toNanos());
    }

    @Test
    void success_withoutEarlierFailures_isANoOp() {
        LoginGuard guard = guard(2);

        guard.succeeded(ip);

        assertThat(guard.lockedOut(ip)).isFalse();
        assertThat(guard.failed(ip)).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), false));
    }

    @Test
    void addresses_areCountedSeparately() {
        LoginGuard guard = guard(2);
        guard.failed(ip);
        guard.failed(ip);

        assertThat(guard.lockedOut(ip)).isTrue();
        assertThat(guard.lockedOut(otherIp)).isFalse();
        assertThat(guard.failed(otherIp)).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), false));
    }
}

package dev.sallyport.core.internal.policy;

import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Brute-force protection per client IP and user name: back-off, window, lockout, on a fake
 * ticker. The counts across names, the reservations of running checks and IPv6 prefixes are in
 * {@link LoginGuardLevelsTest}.
 */
class LoginGuardTest {

    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration LOCKOUT = Duration.ofMinutes(5);
    private static final Duration BACKOFF = Duration.ofMillis(100);

    private final FakeTicker ticker = new FakeTicker();
    private final InetAddress ip = new InetSocketAddress("192.0.2.1", 0).getAddress();
    private final InetAddress otherIp = new InetSocketAddress("192.0.2.2", 0).getAddress();

    private static final String USER = "alice";

    private LoginGuard guard(int maxFailures) {
        return new LoginGuard(ticker, maxFailures, 0, WINDOW, LOCKOUT, BACKOFF, 64);
    }

    private static LoginGuard.Failure failed(LoginGuard guard, InetAddress from) {
        return guard.login(from, USER).failed();
    }

    private static boolean lockedOut(LoginGuard guard, InetAddress from) {
        return guard.login(from, USER).lockedOut();
    }

    private static void succeeded(LoginGuard guard, InetAddress from) {
        guard.login(from, USER).succeeded();
    }

    @Test
    void maxFailuresZero_disablesTheGuard_noDelayAndNeverLocked() {
        LoginGuard guard = guard(0);

        for (int i = 0; i < 50; i++) {
            assertThat(failed(guard, ip)).isEqualTo(new LoginGuard.Failure(0, null));
        }
        assertThat(guard.enabled()).isFalse();
        assertThat(lockedOut(guard, ip)).isFalse();
    }

    @Test
    void failureDelay_doublesFromTheBackoffWithEachFailure_upToTwoSeconds() {
        LoginGuard guard = guard(100);

        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            delays.add(Duration.ofNanos(failed(guard, ip).delayNanos()).toMillis());
        }

        assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1600L, 2000L, 2000L, 2000L);
    }

    @Test
    void backoffZero_noDelay_butTheLockoutStillApplies() {
        LoginGuard guard = new LoginGuard(ticker, 2, 0, WINDOW, LOCKOUT, Duration.ZERO, 64);

        assertThat(failed(guard, ip)).isEqualTo(new LoginGuard.Failure(0, null));
        assertThat(failed(guard, ip)).isEqualTo(new LoginGuard.Failure(0, LoginGuard.Lock.NAME));
        assertThat(lockedOut(guard, ip)).isTrue();
    }

    @Test
    void lockout_startsWithTheNthFailureInTheWindow_andIsReportedOnce() {
        LoginGuard guard = guard(3);

        assertThat(failed(guard, ip).lockedNow()).isFalse();
        assertThat(failed(guard, ip).lockedNow()).isFalse();
        assertThat(lockedOut(guard, ip)).isFalse();
        assertThat(failed(guard, ip).lockedNow()).isTrue();
        assertThat(lockedOut(guard, ip)).isTrue();
        assertThat(failed(guard, ip).lockedNow()).isFalse();
        assertThat(lockedOut(guard, ip)).isTrue();
    }

    @Test
    void lockout_lastsExactlyTheLockoutDuration() {
        LoginGuard guard = guard(2);
        failed(guard, ip);
        failed(guard, ip);

        ticker.advance(LOCKOUT.minusNanos(1));
        assertThat(lockedOut(guard, ip)).isTrue();
        ticker.advanceNanos(1);
        assertThat(lockedOut(guard, ip)).isFalse();
    }

    @Test
    void lockout_isNotExtendedByFailuresDuringIt_butTheyStillDoubleTheDelay() {
        LoginGuard guard = guard(2);
        failed(guard, ip);
        failed(guard, ip);

        ticker.advance(Duration.ofSeconds(30));
        LoginGuard.Failure during = failed(guard, ip);
        ticker.advance(LOCKOUT.minusSeconds(30));

        assertThat(during.lockedNow()).isFalse();
        assertThat(during.delayNanos()).isEqualTo(Duration.ofMillis(400).toNanos());
        assertThat(lockedOut(guard, ip)).isFalse();
    }

    @Test
    void lockoutEnd_forgetsTheFailures_soTheNextStartsAgainFromOne() {
        LoginGuard guard = guard(2);
        failed(guard, ip);
        failed(guard, ip);
        ticker.advance(LOCKOUT);
        assertThat(lockedOut(guard, ip)).isFalse();

        LoginGuard.Failure next = failed(guard, ip);

        assertThat(next).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), null));
        assertThat(lockedOut(guard, ip)).isFalse();
        assertThat(failed(guard, ip).lockedNow()).isTrue();
    }

    @Test
    void failuresOlderThanTheWindow_doNotCount() {
        LoginGuard guard = guard(3);
        failed(guard, ip);
        ticker.advance(Duration.ofSeconds(30));
        failed(guard, ip);
        ticker.advance(Duration.ofSeconds(30).plusNanos(1)); // the first failure is now older than the window

        LoginGuard.Failure third = failed(guard, ip);

        assertThat(third).isEqualTo(new LoginGuard.Failure(Duration.ofMillis(200).toNanos(), null));
        assertThat(lockedOut(guard, ip)).isFalse();
    }

    @Test
    void aFailureExactlyOneWindowOld_stillCounts() {
        LoginGuard guard = guard(3);
        failed(guard, ip);
        ticker.advance(WINDOW);
        failed(guard, ip);

        assertThat(failed(guard, ip).lockedNow()).isTrue();
    }

    @Test
    void success_clearsTheFailuresOfThatNameFromThatAddress() {
        LoginGuard guard = guard(3);
        failed(guard, ip);
        failed(guard, ip);

        succeeded(guard, ip);

        assertThat(failed(guard, ip)).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), null));
        assertThat(failed(guard, ip).lockedNow()).isFalse();
        assertThat(failed(guard, ip).lockedNow()).isTrue();
    }

    @Test
    void success_duringALockout_neitherUnlocksNorClears() {
        LoginGuard guard = guard(2);
        failed(guard, ip);
        failed(guard, ip);

        succeeded(guard, ip);

        assertThat(lockedOut(guard, ip)).isTrue();
        assertThat(failed(guard, ip).delayNanos()).isEqualTo(Duration.ofMillis(400).toNanos());
    }

    @Test
    void success_withoutEarlierFailures_isANoOp() {
        LoginGuard guard = guard(2);

        succeeded(guard, ip);

        assertThat(lockedOut(guard, ip)).isFalse();
        assertThat(failed(guard, ip)).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), null));
    }

    @Test
    void addresses_areCountedSeparately() {
        LoginGuard guard = guard(2);
        failed(guard, ip);
        failed(guard, ip);

        assertThat(lockedOut(guard, ip)).isTrue();
        assertThat(lockedOut(guard, otherIp)).isFalse();
        assertThat(failed(guard, otherIp)).isEqualTo(new LoginGuard.Failure(BACKOFF.toNanos(), null));
    }
}

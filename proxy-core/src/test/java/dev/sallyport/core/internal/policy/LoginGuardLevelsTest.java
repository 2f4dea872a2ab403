package dev.sallyport.core.internal.policy;

import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The login guard's two levels (a user name from a source, and the whole source), the slots
 * reserved by checks still running, and what makes a source (IPv4 address, IPv6 prefix). On a
 * fake ticker.
 */
class LoginGuardLevelsTest {

    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration LOCKOUT = Duration.ofMinutes(5);

    private final FakeTicker ticker = new FakeTicker();
    private final InetAddress ip = address("192.0.2.1");

    private LoginGuard guard(int maxFailures, int maxSourceFailures) {
        return new LoginGuard(ticker, maxFailures, maxSourceFailures, WINDOW, LOCKOUT, Duration.ZERO, 64);
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    @Test
    void reservations_countLikeFailures_theNextCheckBeyondTheLimitIsRefused() {
        LoginGuard guard = guard(3, 0);
        LoginGuard.Login[] running = {guard.login(ip, "alice"), guard.login(ip, "alice"), guard.login(ip, "alice")};

        for (LoginGuard.Login login : running) {
            assertThat(login.reserve()).isTrue();
        }
        assertThat(guard.login(ip, "alice").reserve()).as("a fourth concurrent check").isFalse();
        assertThat(guard.login(ip, "alice").lockedOut()).as("not locked yet: nothing failed").isFalse();

        running[0].failed();
        running[1].failed();
        assertThat(running[2].failed().locked()).isEqualTo(LoginGuard.Lock.NAME);
        assertThat(guard.login(ip, "alice").lockedOut()).isTrue();
    }

    @Test
    void aRefusedReservation_takesNoSlot() {
        LoginGuard guard = guard(1, 0);
        LoginGuard.Login first = guard.login(ip, "alice");
        assertThat(first.reserve()).isTrue();

        LoginGuard.Login refused = guard.login(ip, "alice");
        assertThat(refused.reserve()).isFalse();
        refused.abandoned();
        first.abandoned();

        assertThat(guard.login(ip, "alice").reserve()).isTrue();
    }

    @Test
    void anAbandonedCheck_freesItsSlot_withoutCountingAFailure() {
        LoginGuard guard = guard(2, 0);
        LoginGuard.Login overloaded = guard.login(ip, "alice");
        overloaded.reserve();
        overloaded.abandoned();

        guard.login(ip, "alice").failed();

        assertThat(guard.login(ip, "alice").lockedOut()).isFalse();
        assertThat(guard.login(ip, "alice").failed().lockedNow()).isTrue();
    }

    @Test
    void success_ofAnotherName_clearsNothing_soTheAttackersOwnLoginsDoNotResetTheCount() {
        LoginGuard guard = guard(3, 0);
        for (int i = 0; i < 3; i++) {
            LoginGuard.Login own = guard.login(ip, "mallory");
            own.reserve();
            own.succeeded();
            LoginGuard.Login guess = guard.login(ip, "alice");
            assertThat(guess.reserve()).isTrue();
            guess.failed();
        }

        assertThat(guard.login(ip, "alice").lockedOut()).isTrue();
        assertThat(guard.login(ip, "mallory").lockedOut()).isFalse();
    }

    @Test
    void success_releasesItsSlot_andClearsOnlyItsOwnNamesFailures() {
        LoginGuard guard = guard(2, 0);
        guard.login(ip, "alice").failed();
        LoginGuard.Login right = guard.login(ip, "alice");
        right.reserve();
        right.succeeded();

        assertThat(guard.login(ip, "alice").reserve()).isTrue();
        assertThat(guard.login(ip, "alice").failed().lockedNow()).as("two failures after the success").isFalse();
    }

    @Test
    void namesFromOneSource_areCountedSeparately_aLockedNameLeavesTheOthersIn() {
        LoginGuard guard = guard(2, 0);
        guard.login(ip, "alice").failed();
        guard.login(ip, "alice").failed();

        assertThat(guard.login(ip, "alice").lockedOut()).isTrue();
        assertThat(guard.login(ip, "bob").lockedOut()).isFalse();
        assertThat(guard.login(ip, "bob").reserve()).isTrue();
    }

    @Test
    void sourceLevel_failuresAcrossNames_lockTheWholeSource_evenForANewName() {
        LoginGuard guard = guard(10, 4);
        for (int i = 0; i < 3; i++) {
            assertThat(guard.login(ip, "user" + i).failed().lockedNow()).isFalse();
        }

        assertThat(guard.login(ip, "user3").failed().locked()).isEqualTo(LoginGuard.Lock.SOURCE);
        assertThat(guard.login(ip, "never-tried").lockedOut()).isTrue();
        assertThat(guard.login(address("192.0.2.2"), "never-tried").lockedOut()).isFalse();

        ticker.advance(LOCKOUT);
        assertThat(guard.login(ip, "never-tried").lockedOut()).isFalse();
    }

    @Test
    void sourceLevel_isNotClearedBySuccesses() {
        LoginGuard guard = guard(10, 3);
        guard.login(ip, "a").failed();
        guard.login(ip, "b").failed();
        LoginGuard.Login own = guard.login(ip, "mallory");
        own.reserve();
        own.succeeded();

        assertThat(guard.login(ip, "c").failed().locked()).isEqualTo(LoginGuard.Lock.SOURCE);
    }

    @Test
    void sourceLevel_countsRunningChecksOfEveryName() {
        LoginGuard guard = guard(10, 3);
        assertThat(guard.login(ip, "a").reserve()).isTrue();
        assertThat(guard.login(ip, "b").reserve()).isTrue();
        assertThat(guard.login(ip, "c").reserve()).isTrue();

        assertThat(guard.login(ip, "d").reserve()).isFalse();
        assertThat(guard.login(address("192.0.2.2"), "d").reserve()).isTrue();
    }

    @Test
    void sourceLevelZero_neverLocksTheSource() {
        LoginGuard guard = guard(2, 0);
        for (int i = 0; i < 50; i++) {
            assertThat(guard.login(ip, "user" + i).failed().locked()).isNull();
        }
        assertThat(guard.login(ip, "fresh").lockedOut()).isFalse();
    }

    @Test
    void disabledGuard_reservesWithoutLimit_andNeverLocks() {
        LoginGuard guard = guard(0, 3);
        for (int i = 0; i < 20; i++) {
            assertThat(guard.login(ip, "alice").reserve()).isTrue();
            assertThat(guard.login(ip, "alice").failed()).isEqualTo(new LoginGuard.Failure(0, null));
        }
        assertThat(guard.login(ip, "alice").lockedOut()).isFalse();
    }

    @Test
    void tokens_withoutAName_areCountedUnderTheEmptyName() {
        LoginGuard guard = guard(2, 0);
        guard.login(ip, null).failed();
        guard.login(ip, null).failed();

        assertThat(guard.login(ip, null).lockedOut()).isTrue();
        assertThat(guard.login(ip, "alice").lockedOut()).isFalse();
    }

    @Test
    void source_ipv4_isTheAddressItself() {
        InetAddress v4 = address("198.51.100.7");

        assertThat(LoginGuard.source(v4, 64)).isSameAs(v4);
    }

    @Test
    void source_ipv6_isCutToThePrefix() {
        assertThat(LoginGuard.source(address("2001:db8:1:2:3:4:5:6"), 64)).isEqualTo(address("2001:db8:1:2::"));
        assertThat(LoginGuard.source(address("2001:db8:1:2:ffff::1"), 64)).isEqualTo(address("2001:db8:1:2::"));
        assertThat(LoginGuard.source(address("2001:db8:1:3::1"), 64)).isEqualTo(address("2001:db8:1:3::"));
        assertThat(LoginGuard.source(address("2001:db8:1:2:3:4:5:6"), 48)).isEqualTo(address("2001:db8:1::"));
        assertThat(LoginGuard.source(address("2001:db8:1:ffff::1"), 57)).isEqualTo(address("2001:db8:1:ff80::"));
        assertThat(LoginGuard.source(address("2001:db8:1:2:ff80::"), 72)).isEqualTo(address("2001:db8:1:2:ff00::"));
        assertThat(LoginGuard.source(address("2001:db8::1"), 128)).isEqualTo(address("2001:db8::1"));
    }

    @Test
    void ipv6Clients_inOneSlash64_shareTheirCount() {
        LoginGuard guard = guard(2, 0);
        guard.login(guard.source(address("2001:db8:0:1::1")), "alice").failed();
        guard.login(guard.source(address("2001:db8:0:1::2")), "alice").failed();

        assertThat(guard.login(guard.source(address("2001:db8:0:1:ffff::9")), "alice").lockedOut()).isTrue();
        assertThat(guard.login(guard.source(address("2001:db8:0:2::1")), "alice").lockedOut()).isFalse();
    }

    @Test
    void ipv6Prefix128_countsEachAddressOnItsOwn() {
        LoginGuard guard = new LoginGuard(ticker, 2, 0, WINDOW, LOCKOUT, Duration.ZERO, 128);
        guard.login(guard.source(address("2001:db8::1")), "alice").failed();
        guard.login(guard.source(address("2001:db8::2")), "alice").failed();

        assertThat(guard.login(guard.source(address("2001:db8::1")), "alice").lockedOut()).isFalse();
    }
}

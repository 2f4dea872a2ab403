package dev.sallyport.core.internal.session;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import dev.sallyport.core.internal.policy.UserLimits;
import dev.sallyport.core.spi.Shaper;
import dev.sallyport.core.testing.FakeTicker;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

/**
 * The one shaper of core: charges the user's bucket and pauses the caller until the debt is paid.
 * The bucket runs on a fake ticker and the resume on an {@link EmbeddedChannel}'s loop with frozen
 * time; {@link #advance} moves both clocks together.
 */
class BucketShaperTest {

    /** 100,000 B/s: a burst of 16 KiB, and 1,000 bytes of debt take exactly 10 ms to pay back. */
    private static final long RATE = 100_000;
    private static final int BURST = 16 * 1024;

    private final FakeTicker ticker = new FakeTicker();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final UserLimits limits = new UserLimits(ticker, Limits.NONE);
    private final AtomicInteger pauses = new AtomicInteger();
    private final AtomicInteger resumes = new AtomicInteger();

    {
        channel.freezeTime();
    }

    @AfterEach
    void closeChannel() {
        assertThat(channel.finish()).isFalse();
    }

    private UserLimits.State user(String name, Limits own) {
        return limits.admit(new Principal(name, own, Map.of()), new InetSocketAddress("192.0.2.1", 0).getAddress(),
                reason -> { }).state();
    }

    private Shaper shaper(UserLimits.State state, boolean upstream) {
        return BucketShaper.of(state, upstream, channel.eventLoop(), pauses::incrementAndGet, resumes::incrementAndGet);
    }

    private Shaper downloadShaper() {
        return shaper(user("alice", Limits.NONE.withBandwidth(RATE)), false);
    }

    private void advance(Duration amount) {
        ticker.advance(amount);
        channel.advanceTimeBy(amount.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void chargesWithinTheBurst_neverPause() {
        Shaper shaper = downloadShaper();

        assertThat(shaper.charge(BURST)).isFalse();
        assertThat(shaper.paused()).isFalse();
        assertThat(pauses).hasValue(0);
    }

    @Test
    void overdrawing_pausesOnce_andResumesAfterExactlyTheComputedPause() {
        Shaper shaper = downloadShaper();
        shaper.charge(BURST);

        assertThat(shaper.charge(1_000)).isTrue();
        assertThat(pauses).hasValue(1);
        assertThat(shaper.paused()).isTrue();

        advance(Duration.ofMillis(10).minusNanos(1));
        assertThat(resumes).hasValue(0);
        assertThat(shaper.paused()).isTrue();

        advance(Duration.ofNanos(1));
        assertThat(resumes).hasValue(1);
        assertThat(shaper.paused()).isFalse();
        assertThat(pauses).hasValue(1);
    }

    @Test
    void chargesDuringAPause_stillCount_withoutPausingAgain() {
        Shaper shaper = downloadShaper();
        shaper.charge(BURST);
        shaper.charge(1_000); // pause of 10 ms

        assertThat(shaper.charge(5_000)).isTrue();
        assertThat(pauses).hasValue(1);

        advance(Duration.ofMillis(10));
        assertThat(resumes).hasValue(1);

        // 6,000 owed, 1,000 paid back in the pause: the next byte pauses for the remaining 5,001.
        assertThat(shaper.charge(1)).isTrue();
        assertThat(pauses).hasValue(2);
        advance(Duration.ofNanos(50_010_000 - 1));
        assertThat(resumes).hasValue(1);
        advance(Duration.ofNanos(1));
        assertThat(resumes).hasValue(2);
    }

    @Test
    void cancel_endsThePause_withoutRunningResume() {
        Shaper shaper = downloadShaper();
        shaper.charge(BURST + 1_000);

        shaper.cancel();
        advance(Duration.ofSeconds(1));

        assertThat(shaper.paused()).isFalse();
        assertThat(resumes).hasValue(0);
        shaper.cancel();
    }

    @Test
    void chargingNothing_reportsThePauseState_withoutCharging() {
        Shaper shaper = downloadShaper();

        assertThat(shaper.charge(0)).isFalse();
        shaper.charge(BURST + 1_000);
        assertThat(shaper.charge(0)).isTrue();
        assertThat(shaper.charge(-5)).isTrue();
        assertThat(pauses).hasValue(1);
    }

    @Test
    void eachDirection_chargesItsOwnBucket() {
        UserLimits.State uploadOnly = user("bob", new Limits(0, 0, RATE, 0));
        Shaper up = shaper(uploadOnly, true);
        Shaper down = shaper(uploadOnly, false);

        assertThat(down.charge(100L * BURST)).isFalse();
        assertThat(up.charge(BURST + 1)).isTrue();
        assertThat(pauses).hasValue(1);
    }

    @Test
    void sessionsOfOneUser_shareTheBudget() {
        UserLimits.State carol = user("carol", Limits.NONE.withBandwidth(RATE));
        Shaper first = shaper(carol, false);
        Shaper second = shaper(carol, false);

        assertThat(first.charge(BURST)).isFalse();
        assertThat(second.charge(1)).isTrue();
        assertThat(first.paused()).isFalse();
    }

    @Test
    void liveLimitChange_appliesAtTheNextCharge() {
        UserLimits.State dave = user("dave", Limits.NONE.withBandwidth(RATE));
        Shaper shaper = shaper(dave, false);
        shaper.charge(BURST);

        limits.update("dave", Limits.NONE);

        assertThat(shaper.charge(100L * BURST)).isFalse();
        assertThat(pauses).hasValue(0);
    }

    /*
     * Whole transfers on fake time: what the end-to-end tests measured on the wall clock with a
     * 20 % margin (proxy-socks5 LimitsTest, proxy-http HttpShapingTest and HttpPolicyTest), here
     * to 0.1 %. Reads are a fiftieth of the rate, as the relay's shaped reads are.
     */

    @ParameterizedTest(name = "upstream={0}")
    @ValueSource(booleans = {true, false})
    void transfer_oneSession_takesTheBytesBeyondTheBurstOverTheRate(boolean upstream) {
        Shaper shaper = shaper(user("erin", Limits.NONE.withBandwidth(RATE)), upstream);

        Duration took = transfer(10 * RATE, shaper);

        assertThat(took.toNanos()).isCloseTo(seconds(10 * RATE - BURST, RATE), withinPercentage(0.1));
    }

    @Test
    void transfer_threeSessionsOfOneUser_shareTheRate() {
        UserLimits.State frank = user("frank", Limits.NONE.withBandwidth(RATE));

        Duration took = transfer(10 * RATE, shaper(frank, false), shaper(frank, false), shaper(frank, false));

        assertThat(took.toNanos()).isCloseTo(seconds(10 * RATE - BURST, RATE), withinPercentage(0.1));
    }

    @Test
    void transfer_afterALiveLimitChange_continuesAtTheNewRate() {
        UserLimits.State gina = user("gina", Limits.NONE.withBandwidth(RATE));
        Shaper shaper = shaper(gina, false);
        Duration before = transfer(5 * RATE, shaper);

        limits.update("gina", Limits.NONE.withBandwidth(4 * RATE));
        Duration after = transfer(5 * RATE, shaper);

        assertThat(before.toNanos()).isCloseTo(seconds(5 * RATE - BURST, RATE), withinPercentage(0.1));
        // The bucket starts the new rate empty: the new burst is earned, not granted.
        assertThat(after.toNanos()).isCloseTo(seconds(5 * RATE, 4 * RATE), withinPercentage(0.1));
    }

    private static long seconds(long bytes, long rate) {
        return bytes * 1_000_000_000L / rate;
    }

    /**
     * Passes {@code total} bytes through the shapers, one read of RATE / 50 bytes from each that
     * is not paused in turn, moving time on to the next resume when all are paused. Returns the
     * fake time from the first read until every pause has ended.
     */
    private Duration transfer(long total, Shaper... shapers) {
        int read = (int) (RATE / 50);
        long start = ticker.read();
        long sent = 0;
        while (sent < total || anyPaused(shapers)) {
            boolean charged = false;
            for (Shaper shaper : shapers) {
                if (sent < total && !shaper.paused()) {
                    shaper.charge(read);
                    sent += read;
                    charged = true;
                }
            }
            if (!charged) {
                long next = channel.runScheduledPendingTasks();
                assertThat(next).as("a resume is scheduled").isNotNegative();
                advance(Duration.ofNanos(next));
            }
        }
        return Duration.ofNanos(ticker.read() - start);
    }

    private static boolean anyPaused(Shaper... shapers) {
        for (Shaper shaper : shapers) {
            if (shaper.paused()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void noLimits_givesTheNullShaper_whichNeverPauses() {
        Shaper shaper = shaper(null, true);

        assertThat(shaper).isSameAs(Shaper.NONE);
        assertThat(shaper.charge(Long.MAX_VALUE)).isFalse();
        assertThat(shaper.paused()).isFalse();
        shaper.cancel();
        assertThat(pauses).hasValue(0);
        assertThat(resumes).hasValue(0);
    }
}

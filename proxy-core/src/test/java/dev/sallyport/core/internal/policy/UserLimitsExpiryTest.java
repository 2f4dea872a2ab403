package dev.sallyport.core.internal.policy;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * States of keys without sessions expire once their buckets are full again (equivalent to a new
 * state), driven by the ticker: many clients that each come once leave nothing behind, and no
 * client refills its own bucket by reconnecting.
 */
class UserLimitsExpiryTest {

    /** 1 MB/s each way: a burst of 100,000 bytes, refilled in a tenth of a second. */
    private static final long RATE = 1_000_000;
    private static final long BURST = 100_000;

    private final FakeTicker ticker = new FakeTicker();
    private final UserLimits limits = new UserLimits(ticker, Limits.NONE.withBandwidth(RATE));

    private static final class Session implements UserLimits.Holder {
        @Override
        public void revoke(String reason) {
        }
    }

    /** A distinct IPv6 client address per number, as one attacker holding a /64 has plenty of. */
    private static InetAddress client(int n) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                (byte) (n >>> 8), (byte) n});
    }

    /** One anonymous session from {@code client} that downloads {@code bytes} and closes. */
    private void oneSession(InetAddress client, long bytes) {
        Session session = new Session();
        UserLimits.State state = limits.admit(Principal.anonymous(), client, session).state();
        state.down.consume(bytes);
        limits.release(state, session);
    }

    @Test
    void anonymousClients_closedAfterTheirBucketsRefilled_leaveNoState() throws Exception {
        List<UserLimits.State> states = new ArrayList<>();
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            Session session = new Session();
            UserLimits.State state = limits.admit(Principal.anonymous(), client(i), session).state();
            state.down.consume(BURST + 50_000);
            states.add(state);
            sessions.add(session);
        }
        assertThat(limits.tracked()).isEqualTo(5_000);

        ticker.advance(Duration.ofSeconds(1));
        for (int i = 0; i < 5_000; i++) {
            limits.release(states.get(i), sessions.get(i));
        }

        assertThat(limits.tracked()).isZero();
    }

    @Test
    void anonymousClients_closedInDebt_expireAsTheirBucketsRefill_soStatesStayBounded() throws Exception {
        int most = 0;
        for (int i = 0; i < 5_000; i++) {
            // 50 ms of debt each, one client a millisecond: about 150 ms worth of clients are still filling.
            oneSession(client(i), BURST + 50_000);
            ticker.advance(Duration.ofMillis(1));
            most = Math.max(most, limits.tracked());
        }
        assertThat(most).isBetween(100, 160);

        ticker.advance(Duration.ofSeconds(1));
        for (int i = 0; i < 3; i++) {
            oneSession(client(60_000), 0);
        }

        assertThat(limits.tracked()).isZero();
    }

    @Test
    void idleStateInDebt_survivesSweepsUntilItsBucketsAreFull_soReconnectingRefillsNothing() throws Exception {
        InetAddress greedy = client(1);
        Session first = new Session();
        UserLimits.State before = limits.admit(Principal.anonymous(), greedy, first).state();
        before.down.consume(BURST + 500_000); // half a second of debt
        limits.release(before, first);

        ticker.advance(Duration.ofMillis(400));
        oneSession(client(2), 0); // sweeps: not due yet
        Session again = new Session();
        UserLimits.State reopened = limits.admit(Principal.anonymous(), greedy, again).state();

        assertThat(reopened).isSameAs(before);
        assertThat(reopened.down.nanosUntilFull()).isGreaterThan(Duration.ofMillis(100).toNanos());
        limits.release(reopened, again);

        ticker.advance(Duration.ofMillis(600));
        oneSession(client(2), 0); // sweeps: full now

        assertThat(limits.tracked()).isZero();
        UserLimits.State fresh = limits.admit(Principal.anonymous(), greedy, new Session()).state();
        assertThat(fresh).isNotSameAs(before);
        assertThat(fresh.down.nanosUntilFull()).isZero();
    }

    @Test
    void queuedState_reopenedBeforeItIsDue_isKeptBySweeps_andQueuedAgainWhenItsLastSessionEnds() throws Exception {
        InetAddress client = client(1);
        Session first = new Session();
        UserLimits.State state = limits.admit(Principal.anonymous(), client, first).state();
        state.down.consume(BURST + 100_000); // 200 ms until full
        limits.release(state, first);
        ticker.advance(Duration.ofMillis(100));
        Session open = new Session();
        assertThat(limits.admit(Principal.anonymous(), client, open).state()).isSameAs(state);

        ticker.advance(Duration.ofSeconds(1));
        state.down.consume(BURST + 100_000);
        oneSession(client(2), 0); // sweeps the due entry: its key has a session again

        assertThat(limits.tracked()).isEqualTo(1);
        limits.release(state, open);
        assertThat(limits.tracked()).isEqualTo(1);

        ticker.advance(Duration.ofSeconds(1));
        oneSession(client(2), 0);

        assertThat(limits.tracked()).isZero();
    }

    @Test
    void sessionRateBucket_keepsTheStateUntilItRefills() throws Exception {
        UserLimits rated = new UserLimits(ticker, new Limits(0, 2, 0, 0));
        InetAddress client = client(1);
        for (int i = 0; i < 2; i++) {
            Session session = new Session();
            UserLimits.State state = rated.admit(Principal.anonymous(), client, session).state();
            rated.release(state, session);
        }

        assertThat(rated.admit(Principal.anonymous(), client, new Session()).refusal().rule())
                .isEqualTo("sessions-per-second");
        assertThat(rated.tracked()).isEqualTo(1);

        ticker.advance(Duration.ofSeconds(1));
        Session other = new Session();
        rated.release(rated.admit(Principal.anonymous(), client(2), other).state(), other);

        // Client 1's bucket refilled and went; client 2's is one token short until it refills.
        assertThat(rated.tracked()).isEqualTo(1);
    }

    @Test
    @Timeout(60)
    void concurrentAdmitAndRelease_ofOneKey_neverExceedMaxSessions_whileItsStateIsDroppedAndRemade() throws Exception {
        // maxSessions 1 and a bucket that is full whenever the key goes idle: every release drops
        // the state, racing admissions that looked it up just before.
        UserLimits one = new UserLimits(ticker, new Limits(1, 0, 0, 0).withBandwidth(RATE));
        InetAddress client = client(1);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger admitted = new AtomicInteger();
        int threads = 4;
        CyclicBarrier go = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> runs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            runs.add(pool.submit(() -> {
                try {
                    go.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < 20_000; i++) {
                    Session session = new Session();
                    UserLimits.State state = one.admit(Principal.anonymous(), client, session).state();
                    if (state == null) {
                        continue;
                    }
                    admitted.incrementAndGet();
                    if (inside.incrementAndGet() > 1) {
                        overlaps.incrementAndGet();
                    }
                    for (int spin = 0; spin < 100; spin++) {
                        Thread.onSpinWait(); // stay a while, so that a second admission would meet this one
                    }
                    inside.decrementAndGet();
                    one.release(state, session);
                }
            }));
        }
        try {
            for (Future<?> run : runs) {
                run.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(admitted).hasPositiveValue();
        assertThat(overlaps).hasValue(0);
        assertThat(one.tracked()).isZero();
    }
}

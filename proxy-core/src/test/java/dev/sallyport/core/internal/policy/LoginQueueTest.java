package dev.sallyport.core.internal.policy;

import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The password-check queue: the concurrency bound, turns taken round robin by source, the bounds
 * per source and in all, and checks given up (never run) when nobody waits for them any more. On
 * a fake ticker; "running" means started and not yet finished.
 */
class LoginQueueTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final FakeTicker ticker = new FakeTicker();
    private final InetAddress a = address("192.0.2.1");
    private final InetAddress b = address("192.0.2.2");
    private final InetAddress c = address("192.0.2.3");
    private final List<String> started = new ArrayList<>();
    private final List<String> givenUp = new ArrayList<>();

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** A check that records when it starts or is given up. */
    private final class Check extends LoginQueue.Ticket {
        final String name;

        Check(String name, InetAddress source, LoginQueue.Caller caller) {
            super(source, caller);
            this.name = name;
        }

        @Override
        protected void start() {
            started.add(name);
        }

        @Override
        protected void giveUp() {
            givenUp.add(name);
        }
    }

    private LoginQueue.Caller caller() {
        return caller(new AtomicBoolean());
    }

    private LoginQueue.Caller caller(AtomicBoolean left) {
        return new LoginQueue.Caller(ticker.read() + DEADLINE.toNanos(), left::get);
    }

    private Check check(String name, InetAddress source) {
        return new Check(name, source, caller());
    }

    @Test
    void upToTheConcurrency_checksStartAtOnce_theRestWait() {
        LoginQueue queue = new LoginQueue(ticker, 2);

        Check one = check("a1", a);
        assertThat(queue.submit(one)).isTrue();
        assertThat(queue.submit(check("a2", a))).isTrue();
        assertThat(queue.submit(check("a3", a))).isTrue();

        assertThat(started).containsExactly("a1", "a2");
        assertThat(queue.waiting()).isOne();
        queue.finished(one);
        assertThat(started).containsExactly("a1", "a2", "a3");
        assertThat(queue.waiting()).isZero();
    }

    @Test
    void sources_takeTurns_soAFloodFromOneDoesNotStarveAnother() {
        LoginQueue queue = new LoginQueue(ticker, 1);
        List<Check> flood = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            Check check = check("a" + i, a);
            flood.add(check);
            queue.submit(check);
        }
        Check other = check("b1", b);
        Check third = check("c1", c);
        queue.submit(other);
        queue.submit(third);

        queue.finished(flood.get(0));
        queue.finished(flood.get(1));
        queue.finished(other);

        assertThat(started).containsExactly("a1", "a2", "b1", "c1");
    }

    @Test
    void aSourceBeyondItsBound_isRefused_othersAreStillQueued() {
        LoginQueue queue = new LoginQueue(ticker, 1, 3, 100);
        queue.submit(check("a1", a));
        for (int i = 2; i <= 4; i++) {
            assertThat(queue.submit(check("a" + i, a))).isTrue();
        }

        assertThat(queue.submit(check("a5", a))).isFalse();
        assertThat(queue.submit(check("b1", b))).isTrue();
        assertThat(started).containsExactly("a1");
        assertThat(givenUp).isEmpty();
        assertThat(queue.waiting()).isEqualTo(4);
    }

    @Test
    void theWholeQueueBeyondItsBound_refusesEverySource() {
        LoginQueue queue = new LoginQueue(ticker, 1, 10, 3);
        queue.submit(check("a1", a));
        queue.submit(check("a2", a));
        queue.submit(check("b1", b));
        queue.submit(check("b2", b));

        assertThat(queue.submit(check("c1", c))).isFalse();
        assertThat(queue.waiting()).isEqualTo(3);
    }

    @Test
    void aWaitingCheckPastItsDeadline_isGivenUpWhenItsTurnComes_neverStarted() {
        LoginQueue queue = new LoginQueue(ticker, 1);
        Check running = check("a1", a);
        queue.submit(running);
        queue.submit(check("b1", b));
        ticker.advance(Duration.ofSeconds(5));
        queue.submit(check("c1", c));
        ticker.advance(Duration.ofSeconds(5));

        queue.finished(running);

        assertThat(givenUp).containsExactly("b1");
        assertThat(started).containsExactly("a1", "c1");
    }

    @Test
    void aWaitingCheckWhoseClientLeft_isGivenUp_neverStarted() {
        LoginQueue queue = new LoginQueue(ticker, 1);
        Check running = check("a1", a);
        AtomicBoolean left = new AtomicBoolean();
        queue.submit(running);
        queue.submit(new Check("b1", b, caller(left)));
        queue.submit(check("b2", b));

        left.set(true);
        queue.finished(running);

        assertThat(givenUp).containsExactly("b1");
        assertThat(started).containsExactly("a1", "b2");
    }

    @Test
    void aFullSource_makesRoomByDroppingItsUnwantedChecks() {
        LoginQueue queue = new LoginQueue(ticker, 1, 2, 100);
        AtomicBoolean left = new AtomicBoolean();
        queue.submit(check("a1", a));
        queue.submit(new Check("a2", a, caller(left)));
        queue.submit(check("a3", a));

        left.set(true);

        assertThat(queue.submit(check("a4", a))).isTrue();
        assertThat(givenUp).containsExactly("a2");
        assertThat(queue.waiting()).isEqualTo(2);
    }

    @Test
    void aFullQueue_makesRoomByDroppingUnwantedChecksOfAnySource() {
        LoginQueue queue = new LoginQueue(ticker, 1, 10, 2);
        queue.submit(new Check("a1", a, LoginQueue.Caller.patient(ticker)));
        queue.submit(check("b1", b));
        ticker.advance(Duration.ofSeconds(1));
        queue.submit(check("b2", b));
        ticker.advance(DEADLINE.minusSeconds(1));

        assertThat(queue.submit(check("c1", c))).isTrue();
        assertThat(givenUp).containsExactly("b1");
    }

    @Test
    void aCheckRunningPastEveryDeadline_givesItsSlotUp_whenAnotherNeedsIt() {
        LoginQueue queue = new LoginQueue(ticker, 1);
        Check hung = check("a1", a);
        queue.submit(hung);
        ticker.advance(DEADLINE);

        assertThat(queue.submit(check("b1", b))).isTrue();

        assertThat(givenUp).containsExactly("a1");
        assertThat(started).containsExactly("a1", "b1");
        queue.finished(hung);
        assertThat(started).containsExactly("a1", "b1");
    }

    @Test
    void aRunningCheckWhoseClientLeft_keepsItsSlotUntilItsDeadline() {
        LoginQueue queue = new LoginQueue(ticker, 1);
        AtomicBoolean left = new AtomicBoolean();
        Check running = new Check("a1", a, caller(left));
        queue.submit(running);
        left.set(true);

        queue.submit(check("b1", b));

        assertThat(givenUp).isEmpty();
        assertThat(started).containsExactly("a1");
        queue.finished(running);
        assertThat(started).containsExactly("a1", "b1");
    }

    @Test
    void aSharedCheck_livesAsLongAsAnyOfItsCallers() {
        LoginQueue queue = new LoginQueue(ticker, 1);
        Check running = check("a1", a);
        AtomicBoolean firstLeft = new AtomicBoolean();
        AtomicBoolean secondLeft = new AtomicBoolean();
        Check shared = new Check("b1", b, caller(firstLeft));
        queue.submit(running);
        queue.submit(shared);
        shared.join(caller(secondLeft));

        firstLeft.set(true);
        queue.finished(running);

        assertThat(started).containsExactly("a1", "b1");
        assertThat(givenUp).isEmpty();
    }

    @Test
    void finishingACheckTwice_orOneNeverStarted_changesNothing() {
        LoginQueue queue = new LoginQueue(ticker, 1);
        Check one = check("a1", a);
        queue.submit(one);
        queue.submit(check("a2", a));
        queue.submit(check("a3", a));

        queue.finished(one);
        queue.finished(one);
        queue.finished(check("x", b));

        assertThat(started).containsExactly("a1", "a2");
        assertThat(queue.waiting()).isOne();
    }
}

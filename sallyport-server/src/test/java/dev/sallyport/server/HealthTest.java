package dev.sallyport.server;

import dev.sallyport.core.Ticker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** What /health/live and /health/ready decide, on a ticker the test moves. */
class HealthTest {

    private final AtomicLong now = new AtomicLong();
    private final Ticker ticker = now::get;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Health health = new Health(ticker, started::get, draining::get);
    private final AtomicReference<CompletableFuture<Void>> loopPing = new AtomicReference<>();
    private final AtomicReference<CompletableFuture<Boolean>> backendPing = new AtomicReference<>();
    private final AtomicInteger loopPings = new AtomicInteger();
    private final AtomicInteger backendPings = new AtomicInteger();

    private CompletionStage<?> pingLoops() {
        loopPings.incrementAndGet();
        loopPing.set(new CompletableFuture<>());
        return loopPing.get();
    }

    private CompletionStage<Boolean> pingBackend() {
        backendPings.incrementAndGet();
        backendPing.set(new CompletableFuture<>());
        return backendPing.get();
    }

    private void advance(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    private void serving() {
        health.watch(this::pingLoops, this::pingBackend);
        started.set(true);
    }

    @Test
    void ready_isFalseWhileStarting_trueWhenServing_andFalseOnceDraining() {
        assertThat(health.notReady()).isEqualTo("starting");
        assertThat(health.serving()).isFalse();

        serving();
        assertThat(health.notReady()).isNull();
        assertThat(health.serving()).isTrue();

        draining.set(true);
        assertThat(health.notReady()).isEqualTo("draining");
        assertThat(health.serving()).isFalse();
        assertThat(health.notLive()).as("draining is alive: a restart would cut the tunnels it drains").isNull();
    }

    @Test
    void ready_followsTheBackendsLastAnswer() {
        serving();
        health.check();
        backendPing.get().complete(false);
        assertThat(health.notReady()).isEqualTo("auth backend unavailable");
        assertThat(health.notLive()).as("the database's state never makes the process not live").isNull();

        health.check();
        backendPing.get().complete(true);
        assertThat(health.notReady()).isNull();

        health.check();
        backendPing.get().completeExceptionally(new IllegalStateException("jdbc: ping failed"));
        assertThat(health.notReady()).isEqualTo("auth backend unavailable");
    }

    @Test
    void ready_isFalseOnceTheBackendTakesLongerThanItsTimeout_andOnlyOnePingIsInFlight() {
        serving();
        health.check();
        advance(Health.BACKEND_TIMEOUT);
        health.check();
        assertThat(backendPings).as("no second ping while one is unanswered").hasValue(1);
        assertThat(health.notReady()).isNull();

        advance(Duration.ofNanos(1));
        assertThat(health.notReady()).isEqualTo("auth backend unavailable");

        backendPing.get().complete(true);
        assertThat(health.notReady()).isNull();
        health.check();
        assertThat(backendPings).hasValue(2);
    }

    @Test
    void live_isFalseOnceTheIoThreadsTakeLongerThanTheStallLimit_andTrueWhenTheyAnswer() {
        serving();
        health.check();
        advance(Health.LOOP_STALL);
        health.check();
        assertThat(loopPings).hasValue(1);
        assertThat(health.notLive()).isNull();

        advance(Duration.ofNanos(1));
        assertThat(health.notLive()).isEqualTo("I/O threads did not answer within 10 s");

        loopPing.get().complete(null);
        assertThat(health.notLive()).isNull();
    }

    @Test
    void live_afterTheIoThreadsStopped_staysTrue() {
        serving();
        health.check();
        loopPing.get().completeExceptionally(new java.util.concurrent.RejectedExecutionException("terminated"));
        advance(Health.LOOP_STALL.multipliedBy(2));

        assertThat(health.notLive()).isNull();
    }

    @Test
    void withoutABackend_readyOnlyFollowsServing() {
        health.watch(this::pingLoops, null);
        started.set(true);
        health.check();
        advance(Health.BACKEND_TIMEOUT.multipliedBy(10));

        assertThat(health.notReady()).isNull();
        assertThat(backendPings).hasValue(0);
    }

    @Test
    void aPingThatThrows_countsAsUnavailable() {
        health.watch(this::pingLoops, () -> {
            throw new IllegalStateException("jdbc: store closed");
        });
        started.set(true);
        health.check();

        assertThat(health.notReady()).isEqualTo("auth backend unavailable");
    }
}

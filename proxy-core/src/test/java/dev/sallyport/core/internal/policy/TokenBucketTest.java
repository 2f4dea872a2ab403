package dev.sallyport.core.internal.policy;

import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The token bucket behind bandwidth shaping and session rates, on a fake ticker. */
class TokenBucketTest {

    private static final long SECOND = 1_000_000_000L;
    private static final int KIB_16 = 16 * 1024;

    private final FakeTicker ticker = new FakeTicker();

    @Test
    void bandwidth_burstIsATenthOfTheRate_whenThatExceeds16KiB() {
        TokenBucket bucket = TokenBucket.bandwidth(ticker, 1_000_000);

        assertThat(bucket.consume(100_000)).isZero();
        // The full burst is spent: one more byte is a debt of one byte at 1 MB/s.
        assertThat(bucket.consume(1)).isEqualTo(1_000);
    }

    @Test
    void bandwidth_burstIsAtLeast16KiB_forSlowRates() {
        TokenBucket bucket = TokenBucket.bandwidth(ticker, 1_000);

        assertThat(bucket.consume(KIB_16)).isZero();
        assertThat(bucket.consume(500)).isEqualTo(SECOND / 2);
    }

    @Test
    void consume_withinTheBalance_returnsNoPause() {
        TokenBucket bucket = new TokenBucket(ticker, 1_000, 1_000);

        assertThat(bucket.consume(400)).isZero();
        assertThat(bucket.consume(600)).isZero();
    }

    @Test
    void consume_overTheBalance_goesIntoDebt_andReturnsTheNanosToPayItBack() {
        TokenBucket bucket = new TokenBucket(ticker, 1_000, 1_000);

        assertThat(bucket.consume(1_250)).isEqualTo(250_000_000L);
        // The debt stays: more bytes while in debt lengthen the pause.
        assertThat(bucket.consume(750)).isEqualTo(SECOND);
    }

    @Test
    void consume_afterTime_paysTheDebtBackAtTheRate() {
        TokenBucket bucket = new TokenBucket(ticker, 1_000, 1_000);
        bucket.consume(1_500); // 500 tokens in debt

        ticker.advance(Duration.ofMillis(200));
        assertThat(bucket.consume(0)).isEqualTo(300_000_000L);

        ticker.advance(Duration.ofMillis(300));
        assertThat(bucket.consume(0)).isZero();

        ticker.advance(Duration.ofSeconds(1));
        assertThat(bucket.consume(1_000)).isZero();
    }

    @Test
    void refill_isCappedAtTheCapacity() {
        TokenBucket bucket = new TokenBucket(ticker, 1_000, 2_000);
        bucket.consume(2_000);

        ticker.advance(Duration.ofHours(1));

        assertThat(bucket.consume(2_000)).isZero();
        assertThat(bucket.consume(10)).isEqualTo(10_000_000L);
    }

    @Test
    void refill_isProportionalToElapsedNanos() {
        TokenBucket bucket = new TokenBucket(ticker, 1_000, 1_000);
        bucket.consume(1_000);

        ticker.advance(Duration.ofMillis(1));
        assertThat(bucket.consume(1)).isZero();
        assertThat(bucket.consume(1)).isEqualTo(1_000_000L);
    }

    @Test
    void rateChange_keepsTheBalance_cappedAtTheNewBurst() {
        TokenBucket bucket = TokenBucket.bandwidth(ticker, 1_000_000); // burst 100,000, full

        bucket.rate(10_000, true); // burst 16 KiB now

        assertThat(bucket.rate()).isEqualTo(10_000);
        assertThat(bucket.consume(KIB_16)).isZero();
        assertThat(bucket.consume(10_000)).isEqualTo(SECOND);
    }

    @Test
    void rateChange_keepsADebt_andPaysItBackAtTheNewRate() {
        TokenBucket bucket = TokenBucket.bandwidth(ticker, 1_000);
        bucket.consume(KIB_16 + 1_000); // 1,000 in debt: 1 s at the old rate

        bucket.rate(4_000, true);

        assertThat(bucket.consume(0)).isEqualTo(SECOND / 4);
    }

    @Test
    void rateChange_refillsAtTheOldRateUpToTheChange() {
        TokenBucket bucket = new TokenBucket(ticker, 1_000, 1_000);
        bucket.consume(1_000);
        ticker.advance(Duration.ofMillis(500)); // 500 tokens earned at the old rate

        bucket.rate(100, false); // a session-rate bucket: capacity = rate

        assertThat(bucket.consume(100)).isZero();
        assertThat(bucket.consume(1)).isEqualTo(SECOND / 100);
    }

    @Test
    void rateIncrease_doesNotGrantTheNewBurstAtOnce() {
        TokenBucket bucket = TokenBucket.bandwidth(ticker, 1_000); // burst 16 KiB
        bucket.consume(KIB_16);

        bucket.rate(10_000_000, true); // burst 1,000,000

        assertThat(bucket.consume(1_000)).isEqualTo(100_000L);
    }

    @Test
    void tryAcquire_takesWholeTokens_upToTheRatePerSecond() {
        TokenBucket bucket = new TokenBucket(ticker, 3, 3);

        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isFalse();
    }

    @Test
    void tryAcquire_refusalsTakeNothing_andATokenReturnsAfterOneOverRate() {
        TokenBucket bucket = new TokenBucket(ticker, 4, 4);
        for (int i = 0; i < 4; i++) {
            bucket.tryAcquire();
        }
        assertThat(bucket.tryAcquire()).isFalse();
        assertThat(bucket.tryAcquire()).isFalse();

        ticker.advance(Duration.ofMillis(250));
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isFalse();
    }

    @Test
    void tryAcquire_afterAnIdlePeriod_allowsAtMostTheCapacity() {
        TokenBucket bucket = new TokenBucket(ticker, 2, 2);
        bucket.tryAcquire();
        bucket.tryAcquire();

        ticker.advance(Duration.ofMinutes(10));

        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isTrue();
        assertThat(bucket.tryAcquire()).isFalse();
    }
}

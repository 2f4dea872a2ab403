package dev.sallyport.core.internal.route;

import dev.sallyport.core.Upstream;
import dev.sallyport.core.testing.FakeTicker;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Health of a member watched by active checks, on the core ticker. */
class CheckedMemberTest {

    private static final Duration FAIL_TIMEOUT = Duration.ofSeconds(10);

    private final FakeTicker ticker = new FakeTicker();

    private Member member(boolean checked) {
        return new Member("g", Upstream.parse("socks5://127.0.0.1:1080"), ticker, 2, FAIL_TIMEOUT.toNanos(), checked);
    }

    @Test
    void aCheckedMember_staysDownAfterTheFailTimeout_untilACheckPasses() {
        Member member = member(true);
        assertThat(member.failed()).isFalse();
        assertThat(member.failed()).isTrue();
        ticker.advance(FAIL_TIMEOUT.multipliedBy(3));
        assertThat(member.available()).isFalse();
        assertThat(member.succeeded()).isTrue();
        assertThat(member.available()).isTrue();
        assertThat(member.down()).isFalse();
    }

    @Test
    void anUncheckedMember_getsASessionsTryAfterTheFailTimeout() {
        Member member = member(false);
        member.failed();
        member.failed();
        assertThat(member.available()).isFalse();
        ticker.advance(FAIL_TIMEOUT);
        assertThat(member.available()).isTrue();
        assertThat(member.down()).isTrue();
    }

    @Test
    void failuresOutsideTheWindow_doNotAddUp() {
        Member member = member(true);
        member.failed();
        ticker.advance(FAIL_TIMEOUT.plusNanos(1));
        assertThat(member.failed()).isFalse();
        assertThat(member.down()).isFalse();
    }

    @Test
    void aCheckTarget_isAnAddressForALiteral_andAnUnresolvedName() {
        InetSocketAddress literal = HealthChecks.target("connect:[::1]:443");
        assertThat(literal.isUnresolved()).isFalse();
        assertThat(literal.getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        InetSocketAddress name = HealthChecks.target("connect:example.com:80");
        assertThat(name.isUnresolved()).isTrue();
        assertThat(name.getHostString()).isEqualTo("example.com");
        assertThat(name.getPort()).isEqualTo(80);
    }
}

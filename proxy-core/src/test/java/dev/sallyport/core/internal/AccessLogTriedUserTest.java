package dev.sallyport.core.internal;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The user name a refused login tried, at the end of its access-log line, quoted like any value. */
class AccessLogTriedUserTest {

    private static SessionSummary refused(String tried) {
        return new SessionSummary(9, null, new InetSocketAddress("127.0.0.1", 5000), Protocol.SOCKS5, null, null, 0, 0, 0,
                Instant.EPOCH, Duration.ZERO, Outcome.AUTH_FAILED, "bad_password", tried);
    }

    @Test
    void format_refusedLogin_endsWithTheTriedUserName() {
        assertThat(AccessLog.format(refused("mallory"))).isEqualTo("time=1970-01-01T00:00:00Z user=- client=127.0.0.1:5000 "
                + "protocol=socks5 command=- target=- outcome=auth_failed rule=bad_password up=0 down=0 duration_ms=0 "
                + "tried_user=mallory");
    }

    @Test
    void format_triedUserName_isBoundedAndCannotForgeAField() {
        String line = AccessLog.format(refused("x y=1\n" + "z".repeat(200)));
        assertThat(line).endsWith(" tried_user=\"x y=1\uFFFD" + "z".repeat(64 - 6) + "\"").doesNotContain("\n");
    }

    @Test
    void format_withoutTriedUserName_keepsTheLineAsBefore() {
        assertThat(AccessLog.format(refused(null))).endsWith("duration_ms=0");
    }
}

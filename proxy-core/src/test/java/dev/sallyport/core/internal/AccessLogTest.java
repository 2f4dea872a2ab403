package dev.sallyport.core.internal;


import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogTest {

    @Test
    void format_isStableKeyValue() {
        SessionSummary s = new SessionSummary(7, "alice", new InetSocketAddress("127.0.0.1", 5000), Protocol.SOCKS5,
                Command.CONNECT, "example.com", 443, 10, 20, Instant.parse("2026-11-25T20:30:00.123Z"),
                Duration.ofMillis(1532), Outcome.OK, null);
        assertThat(AccessLog.format(s)).isEqualTo("time=2026-11-25T20:30:00.123Z user=alice client=127.0.0.1:5000 "
                + "protocol=socks5 command=connect target=example.com:443 outcome=ok rule=- up=10 down=20 duration_ms=1532");
    }

    @Test
    void format_quotesHostileValues_andHandlesMissingRequest() {
        SessionSummary s = new SessionSummary(8, "eve \"x=1\"\nfake=line", new InetSocketAddress("::1", 5000),
                Protocol.HTTP, null, null, 0, 0, 0, Instant.EPOCH, Duration.ZERO, Outcome.AUTH_FAILED, "bad_password");
        assertThat(AccessLog.format(s)).isEqualTo("time=1970-01-01T00:00:00Z user=\"eve \\\"x=1\\\"\\nfake=line\" "
                + "client=[::1]:5000 protocol=http command=- target=- outcome=auth_failed rule=bad_password "
                + "up=0 down=0 duration_ms=0");
    }
}

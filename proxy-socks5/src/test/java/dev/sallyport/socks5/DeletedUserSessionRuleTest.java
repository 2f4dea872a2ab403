package dev.sallyport.socks5;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A delete also announces a newer credential version (so a login checked meanwhile is refused):
 * the tunnel it closes still reads "user deleted", the first reason given, not "credentials rotated".
 */
@Timeout(60)
class DeletedUserSessionRuleTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void deletingAUser_closesTheirTunnel_asUserDeleted_andTheirPasswordNoLongerWorks() throws Exception {
        SessionRecorder metrics = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).metrics(metrics).start()) {
            NewCredentials hana = proxy.users().create("hana", Limits.NONE).toCompletableFuture().get();
            try (Socks5Client tunnel = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(tunnel.login("hana", hana.password())).isZero();
                assertThat(tunnel.connect("127.0.0.1", echo.port()).rep()).isZero();

                proxy.users().delete("hana").toCompletableFuture().get();

                assertThat(tunnel.closedByPeer()).isTrue();
            }
            SessionSummary closed = metrics.takeSession(WAIT);
            assertThat(closed.outcome()).isEqualTo(Outcome.REVOKED);
            assertThat(closed.rule()).isEqualTo("user deleted");
            try (Socks5Client again = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(again.login("hana", hana.password())).as("RFC 1929 failure status").isEqualTo(1);
            }
        }
    }
}

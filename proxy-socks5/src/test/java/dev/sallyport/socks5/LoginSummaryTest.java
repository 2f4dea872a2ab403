package dev.sallyport.socks5;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.AllowLoggedExceptions;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks4Client;
import dev.sallyport.testkit.Socks5Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failed login is reported the same way whatever went wrong and whatever the protocol: one
 * summary with outcome AUTH_FAILED and the reason as its rule, and one {@code authFailed} with that
 * reason. A client that offers no credentials is a failed login with reason {@code no_credentials},
 * as an HTTP request without {@code Proxy-Authorization} is.
 */
@Timeout(60)
class LoginSummaryTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final SessionRecorder metrics = new SessionRecorder();

    private ProxyManager start() {
        return ProxyManager.builder().socks5(0).user("alice", "secret").metrics(metrics).start();
    }

    private void assertOneFailedLogin(String protocol, String reason) {
        SessionSummary summary = metrics.takeSession(WAIT);
        assertThat(summary.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(summary.rule()).isEqualTo(reason);
        assertThat(summary.user()).isNull();
        assertThat(metrics.authFailures()).containsExactly(protocol + ":" + reason);
        assertThat(metrics.rejections()).isEmpty();
    }

    @Test
    void socks5_greetingWithoutThePasswordMethod_isAFailedLoginWithoutCredentials() throws Exception {
        try (ProxyManager proxy = start(); Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.greet(Socks5Client.NO_AUTHENTICATION)).isEqualTo(Socks5Client.NO_ACCEPTABLE_METHODS);
            assertThat(client.closedByPeer()).isTrue();
            assertOneFailedLogin("socks5", "no_credentials");
        }
    }

    @Test
    void socks5_wrongPassword_isAFailedLoginWithTheBackendsReason() throws Exception {
        try (ProxyManager proxy = start(); Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login("alice", "wrong")).isNotZero();
            assertOneFailedLogin("socks5", "bad_password");
        }
    }

    @Test
    void socks4_onAProxyThatRequiresALogin_isAFailedLoginWithoutCredentials() throws Exception {
        try (ProxyManager proxy = start(); Socks4Client client = Socks4Client.open(proxy.address("socks5"))) {
            assertThat(client.connect(InetAddress.getLoopbackAddress(), 9, "alice").code()).isEqualTo(Socks4Client.REJECTED);
            assertOneFailedLogin("socks4", "no_credentials");
        }
    }

    @Test
    @AllowLoggedExceptions(IllegalStateException.class)
    void socks5_backendThatFails_isAuthUnavailable_asSessionAuthenticateDocuments() throws Exception {
        AuthBackend broken = (credentials, context) -> CompletableFuture.failedFuture(new IllegalStateException("down"));
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).auth(broken).metrics(metrics).start();
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login("alice", "secret")).isNotZero();
            SessionSummary summary = metrics.takeSession(WAIT);
            assertThat(summary.outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
            assertThat(summary.rule()).isEqualTo("auth_backend_error");
            assertThat(metrics.authFailures()).containsExactly("socks5:auth_backend_error");
        }
    }

    @Test
    void everyFailedLogin_isCountedOnce() throws Exception {
        try (ProxyManager proxy = start()) {
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                client.greet(Socks5Client.NO_AUTHENTICATION);
            }
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                client.login("alice", "wrong");
            }
            List<SessionSummary> sessions = metrics.awaitSessions(2, WAIT);
            assertThat(sessions).extracting(SessionSummary::outcome).containsOnly(Outcome.AUTH_FAILED);
            assertThat(metrics.authFailures()).containsExactlyInAnyOrder("socks5:no_credentials", "socks5:bad_password");
        }
    }
}

package dev.sallyport.http;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request the proxy refuses for its credentials (the 407 challenge, or a header it cannot
 * decode) is a session of its own in the metrics and the access log: outcome AUTH_FAILED, the
 * command and target it was for, and one {@code authFailed} with the reason, as a SOCKS5 client
 * without credentials is reported. The connection it came on reports nothing more.
 */
@Timeout(60)
class HttpRefusedLoginSummaryTest {

    @RegisterExtension
    static TestOrigin origin = new TestOrigin();

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.http().user("alice", "secret").build();

    private RawHttpClient.Response once(String request) throws IOException {
        try (RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
            client.send(request);
            return client.response();
        }
    }

    /**
     * Everything reported once the client has gone: closing the manager lets every connection's
     * end be processed, so a summary of the connection itself would be among them.
     */
    private List<SessionSummary> allSessions() {
        proxy.manager().close();
        return proxy.recorder().sessions();
    }

    private SessionSummary onlySession() {
        List<SessionSummary> sessions = allSessions();
        assertThat(sessions).hasSize(1);
        return sessions.get(0);
    }

    @Test
    void forward_withoutCredentials_isReportedAsAFailedLoginForItsTarget() throws Exception {
        RawHttpClient.Response challenge = once("GET http://127.0.0.1:" + origin.port() + "/x HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(challenge.status()).isEqualTo(407);

        SessionSummary summary = onlySession();
        assertThat(summary.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(summary.command()).isEqualTo(Command.HTTP_FORWARD);
        assertThat(summary.targetHost()).isEqualTo("127.0.0.1");
        assertThat(summary.targetPort()).isEqualTo(origin.port());
        assertThat(summary.user()).isNull();
        assertThat(summary.rule()).isEqualTo("no_credentials");
        assertThat(proxy.recorder().authFailures()).containsExactly("http:no_credentials");
        assertThat(proxy.recorder().rejections()).isEmpty();
    }

    @Test
    void connect_withoutCredentials_isReportedAsAFailedLoginForItsTarget() throws Exception {
        RawHttpClient.Response challenge = once("CONNECT 127.0.0.1:" + echo.port() + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(challenge.status()).isEqualTo(407);

        SessionSummary summary = onlySession();
        assertThat(summary.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(summary.command()).isEqualTo(Command.CONNECT);
        assertThat(summary.targetHost()).isEqualTo("127.0.0.1");
        assertThat(summary.targetPort()).isEqualTo(echo.port());
        assertThat(summary.rule()).isEqualTo("no_credentials");
        assertThat(proxy.recorder().authFailures()).containsExactly("http:no_credentials");
    }

    @Test
    void undecodableCredentials_areReportedAsAFailedLoginForItsTarget() throws Exception {
        RawHttpClient.Response refused = once("GET http://127.0.0.1:" + origin.port() + "/x HTTP/1.1\r\nHost: x\r\n"
                + "Proxy-Authorization: Digest username=\"alice\"\r\n\r\n");
        assertThat(refused.status()).isEqualTo(407);

        SessionSummary summary = onlySession();
        assertThat(summary.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(summary.command()).isEqualTo(Command.HTTP_FORWARD);
        assertThat(summary.targetPort()).isEqualTo(origin.port());
        assertThat(summary.rule()).isEqualTo("malformed_credentials");
        assertThat(proxy.recorder().authFailures()).containsExactly("http:malformed_credentials");
    }

    @Test
    void challenge_thenRetryOnTheSameConnection_reportsTheChallengeThenTheRequest() throws Exception {
        InetSocketAddress address = proxy.httpAddress();
        try (RawHttpClient client = RawHttpClient.open(address)) {
            String get = "GET http://127.0.0.1:" + origin.port() + "/x HTTP/1.1\r\nHost: x\r\n";
            client.send(get + "\r\n");
            assertThat(client.response().status()).isEqualTo(407);
            client.send(get + RawHttpClient.proxyAuthorization("alice", "secret") + "\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(200);
        }
        origin.take();
        List<SessionSummary> sessions = allSessions();
        assertThat(sessions).extracting(SessionSummary::outcome).containsExactly(Outcome.AUTH_FAILED, Outcome.OK);
        assertThat(sessions).extracting(SessionSummary::user).containsExactly(null, "alice");
        assertThat(proxy.recorder().authFailures()).containsExactly("http:no_credentials");
    }
}

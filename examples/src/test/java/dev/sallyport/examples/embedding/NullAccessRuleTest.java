package dev.sallyport.examples.embedding;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host's access rule with a bug (it returns null instead of a Decision for some requests) must
 * not open the proxy: those requests are refused like any rule's DENY, with each protocol's own
 * reply, and the target never sees a connection. Requests the rule abstains on still pass.
 */
@Timeout(60)
class NullAccessRuleTest {

    /** The target the rule "forgets" to decide on. */
    private static final TcpServer FORGOTTEN = TcpServer.echo();
    /** A target the rule abstains on. */
    private static final TcpServer OTHER = TcpServer.echo();

    @RegisterExtension
    static final SallyportExtension PROXY = SallyportExtension.builder().socks5().http()
            .customize(builder -> builder.accessRule(AccessRule.named("forgetful",
                    request -> request.request().targetPort() == FORGOTTEN.port() ? null : Decision.abstain())))
            .build();

    @AfterAll
    static void closeTargets() {
        FORGOTTEN.close();
        OTHER.close();
    }

    private static SessionSummary deniedSession() {
        SessionSummary session = PROXY.recorder().takeSession(Duration.ofSeconds(10));
        assertThat(session.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(session.rule()).isEqualTo("forgetful");
        assertThat(FORGOTTEN.connections()).isEmpty();
        return session;
    }

    @Test
    void socks5Connect_ruleReturningNull_repliesNotAllowed() throws IOException {
        try (Socks5Client client = Socks5Client.open(PROXY.socks5Address())) {
            assertThat(client.noAuth().connect("127.0.0.1", FORGOTTEN.port()).rep()).isEqualTo(0x02);
        }
        assertThat(deniedSession().targetPort()).isEqualTo(FORGOTTEN.port());

        try (Socks5Client client = Socks5Client.open(PROXY.socks5Address())) {
            assertThat(client.noAuth().connect("127.0.0.1", OTHER.port()).rep()).as("abstained on").isZero();
        }
    }

    @Test
    void httpConnect_ruleReturningNull_replies403() throws IOException {
        try (RawHttpClient client = RawHttpClient.open(PROXY.httpAddress())) {
            assertThat(client.connect("127.0.0.1:" + FORGOTTEN.port()).status()).isEqualTo(403);
        }
        deniedSession();

        try (RawHttpClient client = RawHttpClient.open(PROXY.httpAddress())) {
            assertThat(client.connect("127.0.0.1:" + OTHER.port()).status()).as("abstained on").isEqualTo(200);
        }
    }

    @Test
    void httpForward_ruleReturningNull_replies403() throws IOException {
        try (RawHttpClient client = RawHttpClient.open(PROXY.httpAddress())) {
            String target = "127.0.0.1:" + FORGOTTEN.port();
            client.send("GET http://" + target + "/ HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
            assertThat(client.response().status()).isEqualTo(403);
        }
        deniedSession();
    }
}

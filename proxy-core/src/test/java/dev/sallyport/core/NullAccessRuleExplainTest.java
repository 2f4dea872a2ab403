package dev.sallyport.core;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.api.AccessRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ProxyManager#explain} fails closed like admission: a rule returning null denies. */
@Timeout(30)
class NullAccessRuleExplainTest {

    private static final ProxyRequest REQUEST = new ProxyRequest(Protocol.HTTP, Command.CONNECT,
            new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("127.0.0.1", 8080), Credentials.none(),
            "203.0.113.7", 443);

    @Test
    void explain_ruleReturningNull_deniesNamingTheRule() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().classLoader(dev.sallyport.core.testing.NullFrontend.loader()).socks5(0)
                .accessRule(AccessRule.named("forgetful", request -> null))
                .accessRule(AccessRule.named("allow-all-after", request -> Decision.allow("too late")))
                .start()) {
            ProxyManager.Explanation explanation = proxy.explain(REQUEST, Principal.anonymous()).toCompletableFuture().get(5, TimeUnit.SECONDS);

            assertThat(explanation.verdict()).isEqualTo(Decision.Verdict.DENY);
            assertThat(explanation.rule()).isEqualTo("forgetful");
            assertThat(explanation.reason()).isEqualTo("rule returned null (fail closed)");
        }
    }

    @Test
    void explain_ruleReturningNull_afterARuntimeReplacement_stillDenies() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().classLoader(dev.sallyport.core.testing.NullFrontend.loader()).socks5(0)
                .start()) {
            proxy.accessRules(List.of(AccessRule.named("replaced-forgetful", request -> null)));

            ProxyManager.Explanation explanation = proxy.explain(REQUEST, Principal.anonymous()).toCompletableFuture().get(5, TimeUnit.SECONDS);

            assertThat(explanation.verdict()).isEqualTo(Decision.Verdict.DENY);
            assertThat(explanation.rule()).isEqualTo("replaced-forgetful");
        }
    }
}

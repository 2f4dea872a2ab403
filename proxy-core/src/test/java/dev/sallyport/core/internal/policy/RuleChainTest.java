package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The ordered access rules: configured first, then core's defaults; the first decision wins. */
class RuleChainTest {

    private static final ProxyRequest REQUEST = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT,
            new InetSocketAddress("192.0.2.1", 40000), new InetSocketAddress("127.0.0.1", 1080), Credentials.none(),
            "example.test", 443);
    private static final InetAddress PUBLIC = new InetSocketAddress("203.0.113.7", 0).getAddress();
    private static final InetAddress PRIVATE = new InetSocketAddress("10.0.0.7", 0).getAddress();
    private static final InetAddress OTHER_PUBLIC = new InetSocketAddress("198.51.100.7", 0).getAddress();

    /** The names of the rules asked, in order. */
    private final List<String> asked = new CopyOnWriteArrayList<>();

    private AccessRule rule(String name, Decision decision) {
        return AccessRule.named(name, request -> {
            asked.add(name);
            return decision;
        });
    }

    private AccessRule denying(String name, InetAddress address) {
        return AccessRule.named(name, request -> request.resolvedAddress().equals(address)
                ? Decision.deny(name + " address") : Decision.abstain());
    }

    private static AccessRequest request(InetAddress address) {
        return new AccessRequest(REQUEST, Principal.anonymous(), address);
    }

    @Test
    void firstRuleThatDoesNotAbstain_decides_andLaterRulesAreNotAsked() {
        RuleChain chain = new RuleChain(List.of(rule("a", Decision.abstain()), rule("b", Decision.deny("no")),
                rule("c", Decision.allow("yes"))), List.of());

        RuleChain.Verdict verdict = chain.evaluate(request(PUBLIC));

        assertThat(verdict).isEqualTo(new RuleChain.Verdict(Decision.deny("no"), "b"));
        assertThat(verdict.allowed()).isFalse();
        assertThat(asked).containsExactly("a", "b");
    }

    @Test
    void anAllowBeforeADeny_allows() {
        RuleChain chain = new RuleChain(List.of(rule("a", Decision.allow("listed")), rule("b", Decision.deny("no"))),
                List.of());

        RuleChain.Verdict verdict = chain.evaluate(request(PUBLIC));

        assertThat(verdict).isEqualTo(new RuleChain.Verdict(Decision.allow("listed"), "a"));
        assertThat(verdict.allowed()).isTrue();
    }

    @Test
    void configuredRules_runBeforeTheDefaults_andCanOverrideThem() {
        RuleChain chain = new RuleChain(List.of(rule("host", Decision.allow("host allows"))),
                List.of(rule("default", Decision.deny("default denies"))));

        assertThat(chain.evaluate(request(PUBLIC)).rule()).isEqualTo("host");
        assertThat(asked).containsExactly("host");
    }

    @Test
    void defaults_decide_whenEveryConfiguredRuleAbstains() {
        RuleChain chain = new RuleChain(List.of(rule("host", Decision.abstain())),
                List.of(rule("default", Decision.deny("default denies"))));

        assertThat(chain.evaluate(request(PUBLIC))).isEqualTo(new RuleChain.Verdict(Decision.deny("default denies"), "default"));
        assertThat(asked).containsExactly("host", "default");
    }

    @Test
    void builtInDefaults_denyLinkLocal_unlessAConfiguredRuleAllowsFirst() {
        InetAddress metadata = new InetSocketAddress("169.254.169.254", 0).getAddress();
        List<AccessRule> defaults = DefaultRules.all(List.of(new InetSocketAddress("127.0.0.1", 1080)));

        RuleChain plain = new RuleChain(List.of(), defaults);
        RuleChain overridden = new RuleChain(List.of(rule("allow-metadata", Decision.allow("metadata"))), defaults);

        assertThat(plain.evaluate(request(metadata)))
                .isEqualTo(new RuleChain.Verdict(Decision.deny("link-local target"), "deny-link-local"));
        assertThat(overridden.evaluate(request(metadata)).allowed()).isTrue();
    }

    @Test
    void noRuleDecides_allowsAsTheDefault() {
        RuleChain chain = new RuleChain(List.of(rule("a", Decision.abstain())), List.of(rule("b", Decision.abstain())));

        RuleChain.Verdict verdict = chain.evaluate(request(PUBLIC));

        assertThat(verdict).isEqualTo(new RuleChain.Verdict(Decision.allow("no rule denied"), "default"));
        assertThat(verdict.allowed()).isTrue();
    }

    @Test
    void noRulesAtAll_allows() {
        assertThat(new RuleChain(List.of(), List.of()).evaluate(request(PUBLIC)).allowed()).isTrue();
    }

    @Test
    void aRuleThatThrows_denies_namingTheRule_andLaterRulesAreNotAsked() {
        AccessRule broken = AccessRule.named("broken", request -> {
            throw new IllegalStateException("bug");
        });
        RuleChain chain = new RuleChain(List.of(broken, rule("later", Decision.allow("yes"))), List.of());

        RuleChain.Verdict verdict = chain.evaluate(request(PUBLIC));

        assertThat(verdict).isEqualTo(new RuleChain.Verdict(Decision.deny("rule failed"), "broken"));
        assertThat(asked).isEmpty();
    }

    /** A rule returning null denies, like one that throws (fail closed): the next rule is not asked. */
    @Test
    void aRuleReturningNull_denies_andTheNextRuleIsNotAsked() {
        RuleChain chain = new RuleChain(List.of(rule("null", null), rule("next", Decision.allow("yes"))), List.of());

        assertThat(chain.evaluate(request(PUBLIC))).isEqualTo(
                new RuleChain.Verdict(Decision.deny("rule returned null (fail closed)"), "null"));
        assertThat(asked).containsExactly("null");
    }

    @Test
    void aRuleReturningNull_whenNoOtherDecides_denies() {
        RuleChain chain = new RuleChain(List.of(rule("null", null)), List.of());

        assertThat(chain.evaluate(request(PUBLIC)).allowed()).isFalse();
    }

    @Test
    void evaluateAll_deniesWhenAnyResolvedAddressIsDenied() {
        RuleChain chain = new RuleChain(List.of(denying("no-private", PRIVATE)), List.of());

        RuleChain.Verdict verdict = chain.evaluateAll(REQUEST, Principal.anonymous(), List.of(PUBLIC, PRIVATE));

        assertThat(verdict).isEqualTo(new RuleChain.Verdict(Decision.deny("no-private address"), "no-private"));
    }

    @Test
    void evaluateAll_theFirstDeniedAddressDecides() {
        RuleChain chain = new RuleChain(List.of(denying("no-private", PRIVATE), denying("no-other", OTHER_PUBLIC)),
                List.of());

        RuleChain.Verdict verdict = chain.evaluateAll(REQUEST, Principal.anonymous(), List.of(PUBLIC, OTHER_PUBLIC, PRIVATE));

        assertThat(verdict.rule()).isEqualTo("no-other");
    }

    @Test
    void evaluateAll_everyAddressAllowed_givesTheVerdictForTheFirst() {
        AccessRule byAddress = AccessRule.named("by-address", request -> Decision.allow("allowed " + request.resolvedAddress().getHostAddress()));
        RuleChain chain = new RuleChain(List.of(byAddress), List.of());

        RuleChain.Verdict verdict = chain.evaluateAll(REQUEST, Principal.anonymous(), List.of(PUBLIC, OTHER_PUBLIC));

        assertThat(verdict).isEqualTo(new RuleChain.Verdict(Decision.allow("allowed 203.0.113.7"), "by-address"));
    }

    @Test
    void evaluateAll_passesTheRequestAndPrincipalWithEachAddress() {
        List<AccessRequest> seen = new CopyOnWriteArrayList<>();
        RuleChain chain = new RuleChain(List.of(AccessRule.named("record", request -> {
            seen.add(request);
            return Decision.abstain();
        })), List.of());
        Principal alice = Principal.of("alice");

        chain.evaluateAll(REQUEST, alice, List.of(PUBLIC, OTHER_PUBLIC));

        assertThat(seen).containsExactly(new AccessRequest(REQUEST, alice, PUBLIC),
                new AccessRequest(REQUEST, alice, OTHER_PUBLIC));
    }
}

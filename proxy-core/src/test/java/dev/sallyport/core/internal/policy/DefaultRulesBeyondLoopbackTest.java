package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.AccessRules;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Core's default rules at the rule level, where a listener "beyond loopback" and the host's own
 * addresses are given rather than bound: no test leaves loopback.
 */
class DefaultRulesBeyondLoopbackTest {

    private static final InetAddress HOST = address("192.0.2.10");
    private static final Set<InetAddress> LOCAL = Set.of(InetAddress.getLoopbackAddress(), HOST);
    private static final List<InetSocketAddress> LISTENERS = List.of(new InetSocketAddress("0.0.0.0", 1080));

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static RuleChain.Verdict evaluate(List<AccessRule> hostRules, List<AccessRule> defaults, InetAddress target,
                                              int port) {
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, new InetSocketAddress("198.51.100.1", 5000),
                new InetSocketAddress(HOST, 1080), Credentials.none(), target.getHostAddress(), port);
        return new RuleChain(hostRules, defaults).evaluate(new AccessRequest(request, Principal.of("alice"), target));
    }

    private static List<AccessRule> beyondLoopback(List<InetSocketAddress> protectedAddresses) {
        return DefaultRules.all(LISTENERS, protectedAddresses, true, LOCAL);
    }

    @Test
    void beyondLoopback_loopbackAndTheHostsOwnAddresses_areDenied() throws UnknownHostException {
        List<AccessRule> defaults = beyondLoopback(List.of());
        for (String target : new String[] {"127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::ffff:127.0.0.1", "192.0.2.10"}) {
            RuleChain.Verdict verdict = evaluate(List.of(), defaults, address(target), 22);
            assertThat(verdict.allowed()).as(target).isFalse();
            assertThat(verdict.rule()).as(target).isEqualTo("deny-local");
        }
        // ::7f00:1 in binary, as SOCKS5 ATYP 4 carries it.
        InetAddress compatible = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 1});
        assertThat(evaluate(List.of(), defaults, compatible, 22).rule()).isEqualTo("deny-local");
    }

    @Test
    void beyondLoopback_otherAddresses_areAllowed() {
        RuleChain.Verdict verdict = evaluate(List.of(), beyondLoopback(List.of()), address("198.51.100.7"), 443);
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.rule()).isEqualTo("default");
    }

    @Test
    void beyondLoopback_aHostRuleThatAllowsLoopback_wins() {
        List<AccessRule> allow = List.of(AccessRules.allowDestinations("127.0.0.1/32"));
        RuleChain.Verdict verdict = evaluate(allow, beyondLoopback(List.of()), address("127.0.0.1"), 8080);
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.rule()).startsWith("allow-destinations");
    }

    @Test
    void aHostRuleThatAllowsLoopback_stillCannotOpenTheProtectedAddresses_norTheProxysOwnListeners() {
        // The README's own exception for a loopback target must not open the metrics / forward-auth port.
        List<AccessRule> allow = List.of(AccessRules.allowDestinations("127.0.0.0/8"), AccessRule.allowAll());
        List<AccessRule> defaults = DefaultRules.all(List.of(new InetSocketAddress("127.0.0.1", 1080)),
                List.of(new InetSocketAddress("127.0.0.1", 9090)), true, LOCAL);
        assertThat(evaluate(allow, defaults, address("127.0.0.1"), 9090).rule()).isEqualTo("deny-protected");
        assertThat(evaluate(allow, defaults, address("::ffff:127.0.0.1"), 9090).rule()).isEqualTo("deny-protected");
        assertThat(evaluate(allow, defaults, address("127.0.0.1"), 1080).rule()).isEqualTo("deny-self");
        // Other defaults stay defaults: the host's allow still wins over deny-local.
        assertThat(evaluate(allow, defaults, address("127.0.0.1"), 8080).allowed()).isTrue();
    }

    @Test
    void onLoopback_loopbackTargets_areNotDeniedByDefault() {
        List<AccessRule> defaults = DefaultRules.all(List.of(new InetSocketAddress("127.0.0.1", 1080)), List.of(), false, LOCAL);
        assertThat(evaluate(List.of(), defaults, address("127.0.0.1"), 8080).allowed()).isTrue();
        assertThat(evaluate(List.of(), defaults, address("127.0.0.1"), 1080).rule()).isEqualTo("deny-self");
    }

    @Test
    void protectedAddress_isDeniedOnItsPortOnly_andEveryLocalAddressWhenUnspecified() {
        List<AccessRule> loopbackOnly = DefaultRules.all(List.of(), List.of(new InetSocketAddress("127.0.0.1", 9090)),
                false, LOCAL);
        assertThat(evaluate(List.of(), loopbackOnly, address("127.0.0.1"), 9090).rule()).isEqualTo("deny-protected");
        assertThat(evaluate(List.of(), loopbackOnly, address("127.0.0.2"), 9090).rule()).isEqualTo("deny-protected");
        assertThat(evaluate(List.of(), loopbackOnly, address("::ffff:127.0.0.1"), 9090).rule()).isEqualTo("deny-protected");
        assertThat(evaluate(List.of(), loopbackOnly, address("127.0.0.1"), 9091).allowed()).isTrue();
        assertThat(evaluate(List.of(), loopbackOnly, address("192.0.2.10"), 9090).allowed()).isTrue();

        List<AccessRule> everywhere = DefaultRules.all(List.of(), List.of(new InetSocketAddress("0.0.0.0", 9090)), false, LOCAL);
        assertThat(evaluate(List.of(), everywhere, address("192.0.2.10"), 9090).rule()).isEqualTo("deny-protected");
        assertThat(evaluate(List.of(), everywhere, address("198.51.100.7"), 9090).allowed()).isTrue();
    }

    @Test
    void selfLoop_throughAnIpv4CompatibleAddress_isDenied() throws UnknownHostException {
        List<AccessRule> defaults = DefaultRules.all(List.of(new InetSocketAddress("127.0.0.1", 1080)), List.of(), false, LOCAL);
        InetAddress compatible = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 1});
        assertThat(evaluate(List.of(), defaults, compatible, 1080).rule()).isEqualTo("deny-self");
    }
}

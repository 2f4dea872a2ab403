package dev.sallyport.core;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision.Verdict;
import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AccessRulesTest {

    private static InetAddress ip(String text) {
        return NetUtil.createInetAddressFromIpAddressString(text);
    }

    private static AccessRequest request(String client, String host, String resolved, int port, Principal principal) {
        ProxyRequest r = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, new InetSocketAddress(ip(client), 40000),
                new InetSocketAddress(ip("127.0.0.1"), 1080), Credentials.none(), host, port);
        return new AccessRequest(r, principal, ip(resolved));
    }

    private static AccessRequest to(String host, String resolved, int port) {
        return request("127.0.0.1", host, resolved, port, Principal.anonymous());
    }

    private static Verdict verdict(AccessRule rule, AccessRequest request) {
        return rule.evaluate(request).verdict();
    }

    @Test
    void clientRules() {
        AccessRequest fromTen = request("10.1.2.3", "example.com", "93.184.216.34", 443, Principal.anonymous());
        AccessRequest fromElsewhere = request("192.0.2.7", "example.com", "93.184.216.34", 443, Principal.anonymous());
        assertThat(verdict(AccessRules.allowClients("10.0.0.0/8"), fromTen)).isEqualTo(Verdict.ALLOW);
        assertThat(verdict(AccessRules.allowClients("10.0.0.0/8"), fromElsewhere)).isEqualTo(Verdict.ABSTAIN);
        assertThat(verdict(AccessRules.denyClients("10.1.0.0/16"), fromTen)).isEqualTo(Verdict.DENY);
        assertThat(verdict(AccessRules.onlyClients("10.0.0.0/8"), fromElsewhere)).isEqualTo(Verdict.DENY);
        assertThat(verdict(AccessRules.onlyClients("10.0.0.0/8"), fromTen)).isEqualTo(Verdict.ABSTAIN);
    }

    @Test
    void destinationRules_seeTheResolvedAddress() {
        AccessRequest rebinding = to("innocent.example", "10.0.0.5", 80);
        assertThat(verdict(AccessRules.denyDestinations("10.0.0.0/8"), rebinding)).isEqualTo(Verdict.DENY);
        assertThat(verdict(AccessRules.allowDestinations("10.0.0.0/24"), rebinding)).isEqualTo(Verdict.ALLOW);
        assertThat(verdict(AccessRules.onlyDestinations("192.0.2.0/24"), rebinding)).isEqualTo(Verdict.DENY);
        assertThat(verdict(AccessRules.denyDestinations("2001:db8::/32"), to("h", "2001:db8::1", 80))).isEqualTo(Verdict.DENY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fd00::1", "fe80::1", "ff02::1",
        "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:a00:1::1"})
    void denyPrivate_deniesEveryPrivateOrReservedRange(String address) {
        assertThat(verdict(AccessRules.denyPrivateDestinations(), to("x.example", address, 80))).isEqualTo(Verdict.DENY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"})
    void denyPrivate_abstainsForPublicAddresses(String address) {
        assertThat(verdict(AccessRules.denyPrivateDestinations(), to("x.example", address, 80))).isEqualTo(Verdict.ABSTAIN);
    }

    @Test
    void domainRules_exactAndSuffix() {
        AccessRule allow = AccessRules.allowDomains("example.com", "*.example.org");
        assertThat(verdict(allow, to("Example.COM.", "93.184.216.34", 80))).isEqualTo(Verdict.ALLOW);
        assertThat(verdict(allow, to("www.example.com", "93.184.216.34", 80))).isEqualTo(Verdict.ABSTAIN);
        assertThat(verdict(allow, to("a.b.example.org", "93.184.216.34", 80))).isEqualTo(Verdict.ALLOW);
        assertThat(verdict(allow, to("example.org", "93.184.216.34", 80))).isEqualTo(Verdict.ABSTAIN);
        assertThat(verdict(allow, to("badexample.org", "93.184.216.34", 80))).isEqualTo(Verdict.ABSTAIN);
        assertThat(verdict(AccessRules.denyDomains("*.ads.test"), to("x.ads.test", "93.184.216.34", 80))).isEqualTo(Verdict.DENY);
        assertThat(verdict(AccessRules.onlyDomains("example.com"), to("93.184.216.34", "93.184.216.34", 80)))
                .isEqualTo(Verdict.DENY);
    }

    @Test
    void portRules_setsAndRanges() {
        assertThat(verdict(AccessRules.allowPorts("80,443"), to("h", "93.184.216.34", 443))).isEqualTo(Verdict.ALLOW);
        assertThat(verdict(AccessRules.denyPorts("25,465-587"), to("h", "93.184.216.34", 500))).isEqualTo(Verdict.DENY);
        assertThat(verdict(AccessRules.onlyPorts("80,443,8000-8100"), to("h", "93.184.216.34", 8080))).isEqualTo(Verdict.ABSTAIN);
        assertThat(verdict(AccessRules.onlyPorts("80,443,8000-8100"), to("h", "93.184.216.34", 22))).isEqualTo(Verdict.DENY);
    }

    @Test
    void userAttributes_restrictThatUserOnly() {
        Principal limited = new Principal("bob", Limits.NONE, Map.of(AccessRules.ATTRIBUTE_PORTS, "80,443",
                AccessRules.ATTRIBUTE_DOMAINS, "*.example.com"));
        AccessRule rule = AccessRules.userAttributes();
        assertThat(verdict(rule, request("127.0.0.1", "www.example.com", "93.184.216.34", 443, limited))).isEqualTo(Verdict.ABSTAIN);
        assertThat(verdict(rule, request("127.0.0.1", "www.example.com", "93.184.216.34", 22, limited))).isEqualTo(Verdict.DENY);
        assertThat(verdict(rule, request("127.0.0.1", "other.net", "93.184.216.34", 443, limited))).isEqualTo(Verdict.DENY);
        assertThat(verdict(rule, request("127.0.0.1", "other.net", "93.184.216.34", 22, Principal.of("alice"))))
                .isEqualTo(Verdict.ABSTAIN);
        Principal broken = new Principal("eve", Limits.NONE, Map.of(AccessRules.ATTRIBUTE_PORTS, "eighty"));
        assertThat(verdict(rule, request("127.0.0.1", "x", "93.184.216.34", 80, broken))).isEqualTo(Verdict.DENY);
    }

    @Test
    void factories_rejectBadArgumentsNamingThem() {
        assertThatThrownBy(() -> AccessRules.denyDestinations("10.0.0.0/33"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("denyDestinations: '10.0.0.0/33' (expected: a prefix length 0-32)");
        assertThatThrownBy(() -> AccessRules.allowClients("ten"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("allowClients: 'ten'");
        assertThatThrownBy(() -> AccessRules.onlyPorts("80,70000"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("onlyPorts: '80,70000'");
        assertThatThrownBy(() -> AccessRules.allowDomains("*"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("allowDomains: '*'");
        assertThatThrownBy(() -> AccessRules.denyClients())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("denyClients: no ranges");
    }

    @Test
    void rules_haveStableNames() {
        assertThat(AccessRules.denyPrivateDestinations().name()).isEqualTo("deny-private");
        assertThat(AccessRules.onlyPorts("80,443").name()).isEqualTo("only-ports 80,443");
    }
}

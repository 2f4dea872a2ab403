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
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each key reaches the builder; each bad key or value is rejected naming the key, the builder untouched. */
class ProxyPropertiesTest {

    private static Properties properties(String... keyValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return properties;
    }

    private static ProxyManager.Builder apply(String... keyValues) {
        return ProxyProperties.apply(ProxyManager.builder(), properties(keyValues));
    }

    private static Verdict first(List<AccessRule> rules, String resolved, int port) {
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(resolved);
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, new InetSocketAddress("127.0.0.1", 40000),
                new InetSocketAddress("127.0.0.1", 1080), Credentials.none(), resolved, port);
        AccessRequest access = new AccessRequest(request, Principal.anonymous(), address);
        return rules.stream().map(rule -> rule.evaluate(access).verdict()).filter(v -> v != Verdict.ABSTAIN)
                .findFirst().orElse(Verdict.ABSTAIN);
    }

    @Test
    void listenersAndBind_reachTheBuilderInProtocolOrder() {
        ProxyManager.Builder builder = apply("mixed", "0", "http", "8080", "socks5", "1080", "bind", "::1");
        assertThat(builder.config().listeners).containsExactly(Map.entry("socks5", 1080), Map.entry("http", 8080), Map.entry("mixed", 0));
        assertThat(builder.config().bind.getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
    }

    @Test
    void users_becomeInMemoryUsers_andOpenProxyIsABoolean() {
        ProxyManager.Builder builder = apply("user.alice", "s3cret", "user.bob", "pa:ss", "allow-open-proxy", "true");
        assertThat(builder.config().initialUsers).containsExactly(Map.entry("alice", "s3cret"), Map.entry("bob", "pa:ss"));
        assertThat(builder.config().allowOpenProxy).isTrue();
        assertThat(apply("allow-open-proxy", "false").config().allowOpenProxy).isFalse();
    }

    @Test
    void rules_appendInTheDocumentedOrder_portsThenAllowThenDenyThenPrivate() {
        List<AccessRule> rules = apply("deny-private", "true", "deny", "93.184.216.0/24", "allow", "10.1.2.3/32, 93.184.216.34",
                "allow-ports", "80,443").config().accessRules;
        assertThat(rules).extracting(AccessRule::name).containsExactly("only-ports 80,443",
                "allow-destinations 10.1.2.3/32", "allow-destinations 93.184.216.34",
                "deny-destinations 93.184.216.0/24", "deny-private");
        assertThat(first(rules, "10.1.2.3", 443)).as("allow beats deny-private").isEqualTo(Verdict.ALLOW);
        assertThat(first(rules, "10.1.2.4", 443)).as("deny-private").isEqualTo(Verdict.DENY);
        assertThat(first(rules, "93.184.216.34", 443)).as("allow beats deny").isEqualTo(Verdict.ALLOW);
        assertThat(first(rules, "93.184.216.35", 443)).as("deny").isEqualTo(Verdict.DENY);
        assertThat(first(rules, "10.1.2.3", 22)).as("ports are checked first").isEqualTo(Verdict.DENY);
        assertThat(first(rules, "8.8.8.8", 80)).isEqualTo(Verdict.ABSTAIN);
    }

    @Test
    void denyPrivateFalse_andBlankLists_addNoRule() {
        assertThat(apply("deny-private", "false", "allow", " , ", "deny", "").config().accessRules).isEmpty();
    }

    @Test
    void limits_bandwidthWithBinarySuffixes_andSessionCaps() {
        ProxyManager.Builder builder = apply("bandwidth", "10M", "max-sessions-per-user", "4", "max-clients-per-ip", "8");
        assertThat(builder.config().defaultLimits).isEqualTo(Limits.NONE.withBandwidth(10L << 20).withMaxSessions(4));
        assertThat(builder.config().maxConnectionsPerClient).isEqualTo(8);
        assertThat(apply("bandwidth", "512k").config().defaultLimits.uploadBytesPerSecond()).isEqualTo(512L << 10);
        assertThat(apply("bandwidth", "1G").config().defaultLimits.downloadBytesPerSecond()).isEqualTo(1L << 30);
        assertThat(apply("bandwidth", "1048576").config().defaultLimits.uploadBytesPerSecond()).isEqualTo(1048576);
    }

    @Test
    void tls_appliesToTheHttpListener(@TempDir Path dir) throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "-");
        Path key = Files.writeString(dir.resolve("key.pem"), "-");
        ProxyManager.Builder builder = apply("tls-cert", cert.toString(), "tls-key", key.toString());
        assertThat(builder.config().tls).containsOnlyKeys("http");
        assertThat(builder.config().tls.get("http").certificateChainPem()).isEqualTo(cert);
        assertThat(builder.config().tls.get("http").privateKeyPem()).isEqualTo(key);
    }

    @Test
    void absentKeys_leaveTheBuilderAsItWas() {
        Limits limits = Limits.NONE.withMaxSessions(3);
        ProxyManager.Builder builder = ProxyManager.builder().defaultLimits(limits).maxConnectionsPerClient(5);
        assertThat(ProxyProperties.apply(builder, new Properties())).isSameAs(builder);
        assertThat(builder.config().defaultLimits).isEqualTo(limits);
        assertThat(builder.config().maxConnectionsPerClient).isEqualTo(5);
        assertThat(builder.config().accessRules).isEmpty();
        assertThat(builder.config().listeners).isEmpty();
    }

    @Test
    void unknownKey_rejectedNamingItAndListingTheKeys() {
        assertThatThrownBy(() -> apply("sock5", "1080"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sock5: unknown key (expected one of: allow, allow-open-proxy, allow-ports, bandwidth, bind, deny, "
                        + "deny-private, http, io-threads, max-bind-listeners, max-clients-per-ip, max-connections, "
                        + "max-sessions-per-user, max-total-connections, mixed, proxy-protocol, proxy-protocol-mode, socks5, "
                        + "tls-cert, tls-key, transport, upstream-proxy-protocol, user.NAME)");
    }

    @Test
    void badPort_rejectedNamingTheListener() {
        assertThatThrownBy(() -> apply("socks5", "70000")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("socks5: 70000 (expected: a port 0-65535, 0 for any free port)");
        assertThatThrownBy(() -> apply("http", "abc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("http: abc (expected: a port 0-65535, 0 for any free port)");
        assertThatThrownBy(() -> apply("mixed", "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mixed: '' (expected: a port 0-65535, 0 for any free port)");
    }

    @Test
    void badBind_rejectedWithoutLookup() {
        assertThatThrownBy(() -> apply("bind", "proxy.example")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bind: proxy.example (expected: an IP address such as 127.0.0.1, ::1 or 0.0.0.0, or localhost)");
    }

    @Test
    void badBoolean_rejected() {
        assertThatThrownBy(() -> apply("deny-private", "yes")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deny-private: yes (expected: true or false)");
        assertThatThrownBy(() -> apply("allow-open-proxy", "TRUE")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allow-open-proxy: TRUE (expected: true or false)");
    }

    @Test
    void badCidr_rejectedNamingTheEntry() {
        assertThatThrownBy(() -> apply("deny", "10.0.0.0/8,10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deny: 10.0.0.0/33 (expected: an address or CIDR such as 10.0.0.0/8 or fd00::/8)");
        assertThatThrownBy(() -> apply("allow", "ten")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allow: ten (expected: an address or CIDR such as 10.0.0.0/8 or fd00::/8)");
    }

    @Test
    void badPorts_rejected() {
        assertThatThrownBy(() -> apply("allow-ports", "80,x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allow-ports: 80,x (expected: ports such as 80,443,8000-8100)");
    }

    @Test
    void badBandwidth_rejected() {
        for (String bad : List.of("fast", "0", "-5", "10T", "K", "9223372036854775807K")) {
            assertThatThrownBy(() -> apply("bandwidth", bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bandwidth: " + bad + " (expected: bytes per second > 0 such as 1048576, 512K, 10M or 1G)");
        }
    }

    @Test
    void connectionCaps_belowOne_rejected() {
        assertThatThrownBy(() -> apply("max-sessions-per-user", "0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max-sessions-per-user: 0 (expected: an integer >= 1)");
        assertThatThrownBy(() -> apply("max-connections", "0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max-connections: 0 (expected: an integer >= 1)");
        assertThatThrownBy(() -> apply("max-clients-per-ip", "-1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max-clients-per-ip: -1 (expected: an integer >= 1)");
    }

    @Test
    void tls_halfConfiguredOrUnreadable_rejected(@TempDir Path dir) {
        assertThatThrownBy(() -> apply("tls-key", "k.pem")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tls-cert: missing (expected: set together with tls-key)");
        assertThatThrownBy(() -> apply("tls-cert", "c.pem")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tls-key: missing (expected: set together with tls-cert)");
        String missing = dir.resolve("nope.pem").toString();
        assertThatThrownBy(() -> apply("tls-cert", missing, "tls-key", missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tls-cert: " + missing + " (expected: a readable PEM file)");
    }

    @Test
    void badUser_rejectedNamingTheUser_neverThePassword() {
        assertThatThrownBy(() -> apply("user.alice", " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("user.alice: empty password (expected: at least one character)");
        assertThatThrownBy(() -> apply("user.", "hunter2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("user.: no user name (expected: user.NAME=PASSWORD)");
        assertThatThrownBy(() -> apply("user.a\u0001b", "hunter2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("user.a\u0001b: bad user name (name: contains a control character")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void badValue_leavesTheBuilderUntouched() {
        ProxyManager.Builder builder = ProxyManager.builder();
        Properties properties = properties("bind", "0.0.0.0", "socks5", "1080", "user.alice", "pw", "deny-private", "true",
                "max-connections", "zero");
        assertThatThrownBy(() -> ProxyProperties.apply(builder, properties)).hasMessageStartingWith("max-connections: zero");
        assertThat(builder.config().bind.isLoopbackAddress()).isTrue();
        assertThat(builder.config().listeners).isEmpty();
        assertThat(builder.config().initialUsers).isEmpty();
        assertThat(builder.config().accessRules).isEmpty();
    }

    @Test
    void listenerAlreadyInTheBuilder_conflicts() {
        ProxyManager.Builder builder = ProxyManager.builder().socks5(1081);
        assertThatThrownBy(() -> ProxyProperties.apply(builder, properties("socks5", "1080")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("socks5: already configured on port 1081 (expected: one listener per protocol)");
    }

    @Test
    void file_isReadAsUtf8_andTrimmed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("proxy.properties");
        Files.writeString(file, "# comment\nsocks5 = 1080  \nuser.zoë=pässword\ndeny-private=true\n", StandardCharsets.UTF_8);
        ProxyManager.Builder builder = ProxyProperties.apply(ProxyManager.builder(), file);
        assertThat(builder.config().listeners).containsExactly(Map.entry("socks5", 1080));
        assertThat(builder.config().initialUsers).containsExactly(Map.entry("zoë", "pässword"));
        assertThat(builder.config().accessRules).extracting(AccessRule::name).containsExactly("deny-private");
    }

    @Test
    void file_missingOrMalformed_rejected(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.properties");
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), missing))
                .isInstanceOf(UncheckedIOException.class).hasMessage("cannot read " + missing);
        // Read as written (ProxyProperties.read): a line that is not key=value is what is malformed now.
        Path malformed = Files.writeString(dir.resolve("bad.properties"), "socks5\n");
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), malformed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(malformed + " line 1: no '=' (expected: key=value)");
    }

    @Test
    void nulls_rejectedNamingTheParameter() {
        assertThatThrownBy(() -> ProxyProperties.apply(null, new Properties()))
                .isInstanceOf(NullPointerException.class).hasMessage("builder");
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), (Properties) null))
                .isInstanceOf(NullPointerException.class).hasMessage("properties");
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), (Path) null))
                .isInstanceOf(NullPointerException.class).hasMessage("file");
    }

    @Test
    void keys_areTheDocumentedOnes() {
        assertThat(ProxyProperties.keys()).containsExactlyInAnyOrder("bind", "socks5", "http", "mixed", "tls-cert", "tls-key",
                "allow-open-proxy", "allow-ports", "allow", "deny", "deny-private", "bandwidth", "max-sessions-per-user",
                "max-connections", "max-clients-per-ip", "max-total-connections", "max-bind-listeners", "proxy-protocol",
                "proxy-protocol-mode", "upstream-proxy-protocol", "transport", "io-threads");
    }
}

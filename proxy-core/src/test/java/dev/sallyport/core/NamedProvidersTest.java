package dev.sallyport.core;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Command;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.testing.RecordingProviders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code accessRule(String, Map)} and {@code connectionPool(String, Map)}: providers found by name
 * through ServiceLoader like the auth and metrics ones, placed in order of configuration, closed by
 * {@code close()} and by a failed {@code start()}; unknown names fail start naming the providers found.
 * The providers are {@link RecordingProviders}, registered in this module's test resources.
 */
@Timeout(30)
class NamedProvidersTest {

    private static final ProxyRequest REQUEST = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT,
            new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("127.0.0.1", 1080), Credentials.none(),
            "203.0.113.7", 443);

    private final String id = UUID.randomUUID().toString();

    private static Map<String, String> settings(String id, String verdict) {
        return Map.of("id", id, "verdict", verdict);
    }

    private static ProxyManager.Builder builder() throws IOException {
        return ProxyManager.builder().classLoader(dev.sallyport.core.testing.NullFrontend.loader()).socks5(0);
    }

    /** A rule given as an instance that records its evaluations among the providers' events. */
    private static AccessRule recorded(String id, Decision decision) {
        return AccessRule.named(id, request -> {
            RecordingProviders.EVENTS.add("evaluate:" + id);
            return decision;
        });
    }

    @Test
    void namedRules_keepTheirPlaceAmongRulesGivenAsInstances() throws Exception {
        try (ProxyManager proxy = builder()
                .accessRule(recorded(id + "-first", Decision.abstain()))
                .accessRule("recording-rule", settings(id + "-a", "abstain"))
                .accessRule("recording-rule", settings(id + "-b", "abstain"))
                .accessRule(recorded(id + "-second", Decision.abstain()))
                .accessRule("recording-rule", settings(id + "-c", "deny"))
                .accessRule(recorded(id + "-never", Decision.allow("too late")))
                .start()) {
            ProxyManager.Explanation explanation = proxy.explain(REQUEST, Principal.anonymous()).toCompletableFuture().get(5, TimeUnit.SECONDS);

            assertThat(explanation.verdict()).isEqualTo(Decision.Verdict.DENY);
            assertThat(explanation.rule()).isEqualTo(id + "-c");
            assertThat(explanation.reason()).isEqualTo("recording-rule " + id + "-c denies");
            // explain evaluates the chain again to find the denied address: the same order twice.
            List<String> order = List.of("evaluate:" + id + "-first", "evaluate:" + id + "-a", "evaluate:" + id + "-b",
                    "evaluate:" + id + "-second", "evaluate:" + id + "-c");
            List<String> twice = new java.util.ArrayList<>(order);
            twice.addAll(order);
            assertThat(RecordingProviders.EVENTS.stream().filter(e -> e.contains(id))).containsExactlyElementsOf(twice);
        }
    }

    @Test
    void namedRuleAndPool_areClosedByClose_once_andNotBefore() throws Exception {
        ProxyManager proxy = builder()
                .accessRule("recording-rule", settings(id, "abstain"))
                .connectionPool("recording-pool", Map.of("id", id + "-pool"))
                .start();
        assertThat(RecordingProviders.events(id)).isEmpty();
        assertThat(RecordingProviders.events(id + "-pool")).isEmpty();

        proxy.close();
        proxy.close();

        assertThat(RecordingProviders.events(id)).containsExactly("close:" + id);
        assertThat(RecordingProviders.events(id + "-pool")).containsExactly("close:" + id + "-pool");
    }

    @Test
    void namedRuleAndPool_areClosedWhenStartFails_onAPortInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ProxyManager.Builder builder = ProxyManager.builder().classLoader(dev.sallyport.core.testing.NullFrontend.loader())
                    .socks5(taken.getLocalPort())
                    .accessRule("recording-rule", settings(id, "abstain"))
                    .connectionPool("recording-pool", Map.of("id", id + "-pool"));

            assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("socks5: cannot listen on");
        }
        assertThat(RecordingProviders.events(id)).containsExactly("close:" + id);
        assertThat(RecordingProviders.events(id + "-pool")).containsExactly("close:" + id + "-pool");
    }

    @Test
    void providersBuiltBeforeAnUnknownOne_areClosed_andTheMessageNamesTheProvidersFound() throws Exception {
        ProxyManager.Builder builder = builder()
                .accessRule("recording-rule", settings(id, "abstain"))
                .accessRule("no-such-rule", Map.of());

        assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
                .hasMessage("accessRule: no provider named 'no-such-rule' (expected one of: [recording-rule]; "
                        + "add the module that provides it)");
        assertThat(RecordingProviders.events(id)).containsExactly("close:" + id);
    }

    @Test
    void unknownPoolProvider_failsStart_namingTheSettingAndTheProvidersFound_andClosesTheRulesBuilt() throws Exception {
        ProxyManager.Builder builder = builder()
                .accessRule("recording-rule", settings(id, "abstain"))
                .connectionPool("no-such-pool", Map.of());

        assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
                .hasMessage("connectionPool: no provider named 'no-such-pool' (expected one of: [recording-pool]; "
                        + "add the module that provides it)");
        assertThat(RecordingProviders.events(id)).containsExactly("close:" + id);
    }

    @Test
    void providerRefusingItsSettings_failsStartWithItsMessage() throws Exception {
        ProxyManager.Builder builder = builder().accessRule("recording-rule", Map.of("id", id, "verdict", "maybe"));

        assertThatThrownBy(builder::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("recording-rule: setting 'verdict' is maybe (expected: allow, deny or abstain)");
    }

    @Test
    void pool_lastCallWins_byInstanceOrByName() throws Exception {
        ConnectionPool direct = ConnectionPool.direct();

        Settings named = Settings.from(builder().connectionPool(direct)
                .connectionPool("recording-pool", Map.of("id", id)).config());
        try {
            assertThat(named.connectionPool()).isNotSameAs(direct).isInstanceOf(AutoCloseable.class);
            assertThat(named.providerInstances()).containsExactly((AutoCloseable) named.connectionPool());
        } finally {
            Settings.closeQuietly(named.providerInstances());
        }

        Settings instance = Settings.from(builder().connectionPool("recording-pool", Map.of("id", id + "-unused"))
                .connectionPool(direct).config());
        assertThat(instance.connectionPool()).isSameAs(direct);
        assertThat(instance.providerInstances()).isEmpty();
        assertThat(RecordingProviders.events(id + "-unused")).as("a replaced provider is never built").isEmpty();
    }

    @Test
    void builderChecksProviderArguments_atOnce_namingTheSetting() {
        ProxyManager.Builder builder = ProxyManager.builder();
        assertThatThrownBy(() -> builder.accessRule(" ", Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("accessRule: provider ' ' (expected: a provider name)");
        assertThatThrownBy(() -> builder.connectionPool("", Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connectionPool: provider '' (expected: a provider name)");
        assertThatThrownBy(() -> builder.accessRule((String) null, Map.of())).isInstanceOf(NullPointerException.class)
                .hasMessage("accessRule provider");
        assertThatThrownBy(() -> builder.connectionPool("p", null)).isInstanceOf(NullPointerException.class)
                .hasMessage("settings");
        Map<String, String> withNull = new HashMap<>();
        withNull.put("id", null);
        assertThatThrownBy(() -> builder.accessRule("p", withNull)).isInstanceOf(NullPointerException.class)
                .hasMessage("settings: null value of 'id'");
        assertThat(builder.config().accessRuleProviders).isEmpty();
        assertThat(builder.config().connectionPoolProvider).isNull();
    }
}

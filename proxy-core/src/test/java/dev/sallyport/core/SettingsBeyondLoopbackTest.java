package dev.sallyport.core;

import dev.sallyport.core.internal.Config;
import dev.sallyport.core.internal.ProxyProtocolPolicy;
import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The defaults that a listener beyond loopback turns on, decided by {@link Settings#from} from the
 * bind address alone: sealed settings are checked here, nothing is bound, no test leaves loopback.
 */
class SettingsBeyondLoopbackTest {

    private static ClassLoader frontends;

    @BeforeAll
    static void registerFrontend() {
        frontends = NullFrontend.loader();
    }

    private static Config config(String bind) {
        Config config = new Config();
        config.classLoader = frontends;
        config.listeners.put("socks5", 0);
        config.bind = Addresses.parseBindAddress(bind);
        config.initialUsers.add(Map.entry("alice", "pw"));
        return config;
    }

    @Test
    void onLoopback_noCapsAndNoLocalDenial() {
        Settings settings = Settings.from(config("127.0.0.1"));
        assertThat(settings.maxConnections()).isZero();
        assertThat(settings.maxConnectionsPerClient()).isZero();
        assertThat(settings.maxBindListeners()).isZero();
        assertThat(settings.denyLocalTargets()).isFalse();
        assertThat(settings.warnings()).isEmpty();
    }

    @Test
    void beyondLoopback_capsAndLocalDenialOnByDefault() {
        for (String bind : new String[] {"0.0.0.0", "::", "192.0.2.10"}) {
            Settings settings = Settings.from(config(bind));
            assertThat(settings.maxConnections()).as(bind).isEqualTo(Settings.connectionCapFor(Settings.processFileLimit()));
            assertThat(settings.maxConnectionsPerClient()).as(bind).isEqualTo(256);
            assertThat(settings.maxBindListeners()).as(bind).isEqualTo(16);
            assertThat(settings.denyLocalTargets()).as(bind).isTrue();
        }
    }

    @Test
    void beyondLoopback_onThisJvm_theTotalCapComesFromTheFileLimit() {
        long limit = Settings.processFileLimit();
        // Every JVM the build runs on is a Unix one that reports its limit.
        assertThat(limit).isPositive();
        int cap = Settings.from(config("0.0.0.0")).maxConnections();
        assertThat(cap).isPositive();
        assertThat(2L * cap).isLessThanOrEqualTo(limit - 256);
    }

    @Test
    void beyondLoopback_explicitCapsWin_zeroIncluded() {
        Config config = config("0.0.0.0");
        config.maxConnections = 0;
        config.maxConnectionsPerClient = 7;
        config.maxBindListeners = 0;
        Settings settings = Settings.from(config);
        assertThat(settings.maxConnections()).isZero();
        assertThat(settings.maxConnectionsPerClient()).isEqualTo(7);
        assertThat(settings.maxBindListeners()).isZero();
    }

    @Test
    void connectionCap_leavesATenthOfTheFileLimit_atLeast256_andTwoDescriptorsAConnection() {
        assertThat(Settings.connectionCapFor(1024)).isEqualTo((1024 - 256) / 2);
        assertThat(Settings.connectionCapFor(20_000)).isEqualTo((20_000 - 2_000) / 2);
        assertThat(Settings.connectionCapFor(1_048_576)).isEqualTo((1_048_576 - 104_857) / 2);
        assertThat(Settings.connectionCapFor(100)).isEqualTo(1);
        assertThat(Settings.connectionCapFor(-1)).isZero();
        assertThat(Settings.connectionCapFor(Long.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void openProxyBeyondLoopback_isAWarning_openProxyOnLoopbackOrWithLoginsIsNot() {
        Config open = config("0.0.0.0");
        open.initialUsers.clear();
        open.allowOpenProxy = true;
        assertThat(Settings.from(open).warnings()).singleElement().asString()
                .startsWith("Open proxy on 0.0.0.0, beyond loopback: anyone who reaches it may use it");

        Config openOnLoopback = config("127.0.0.1");
        openOnLoopback.initialUsers.clear();
        assertThat(Settings.from(openOnLoopback).warnings()).isEmpty();
        assertThat(Settings.from(config("0.0.0.0")).warnings()).isEmpty();
    }

    @Test
    void protectedAddresses_reachTheSettings() {
        Config config = config("127.0.0.1");
        config.protectedAddresses.add(new InetSocketAddress("127.0.0.1", 9090));
        assertThat(Settings.from(config).protectedAddresses()).containsExactly(new InetSocketAddress("127.0.0.1", 9090));
    }

    @Test
    void builder_newSettings_areValidatedAtOnce() {
        assertThatThrownBy(() -> ProxyManager.builder().maxBindListeners(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxBindListeners: -1 (expected: >= 0, 0 for no limit)");
        assertThatThrownBy(() -> ProxyManager.builder().protectedAddress(InetSocketAddress.createUnresolved("metrics", 9090)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("protectedAddress: metrics:9090 (expected: an IP address and a port 1-65535)");
        assertThatThrownBy(() -> ProxyManager.builder().protectedAddress(new InetSocketAddress("127.0.0.1", 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("protectedAddress: 127.0.0.1:0 (expected: an IP address and a port 1-65535)");
        assertThatThrownBy(() -> ProxyManager.builder().protectedAddress(null))
                .isInstanceOf(NullPointerException.class).hasMessage("address");
    }

    @Test
    void proxyProtocolOnLoopback_theHeadersClientsAreRemote_capsAndLocalDenialOn() {
        for (boolean perListener : new boolean[] {false, true}) {
            Config config = config("127.0.0.1");
            behindBalancer(config, perListener);
            Settings settings = Settings.from(config);
            assertThat(settings.maxConnectionsPerClient()).as("per listener: %s", perListener).isEqualTo(256);
            assertThat(settings.maxBindListeners()).isEqualTo(16);
            assertThat(settings.denyLocalTargets()).isTrue();
        }
    }

    @Test
    void proxyProtocolOnLoopback_withoutLogins_isRefusedUnlessAnOpenProxyIsAllowed() {
        Config config = config("127.0.0.1");
        config.initialUsers.clear();
        behindBalancer(config, true);
        assertThatThrownBy(() -> Settings.from(config)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("proxyProtocol: the clients that PROXY protocol headers name are remote and no "
                        + "authentication is configured")
                .hasMessageContaining("allowOpenProxy(true)");
        config.allowOpenProxy = true;
        assertThat(Settings.from(config).warnings()).singleElement().asString()
                .startsWith("Open proxy on 127.0.0.1 for the remote clients that PROXY protocol headers name");
    }

    private static void behindBalancer(Config config, boolean perListener) {
        ProxyProtocolPolicy policy = ProxyProtocolPolicy.of("proxyProtocol", ProxyProtocolMode.REQUIRED, "127.0.0.2");
        if (perListener) {
            config.proxyProtocol.put("socks5", policy);
        } else {
            config.proxyProtocolAll = policy;
        }
    }
}

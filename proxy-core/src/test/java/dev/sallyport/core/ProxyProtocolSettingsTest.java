package dev.sallyport.core;

import dev.sallyport.api.InvalidSettingException;
import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The PROXY protocol settings reject bad values at once, naming the setting and what it expects. */
class ProxyProtocolSettingsTest {

    @Test
    void proxyProtocol_badCidr_isRejectedNamingTheSetting() {
        assertThatThrownBy(() -> ProxyManager.builder().proxyProtocol("socks5", ProxyProtocolMode.REQUIRED, "10.0.0.0/33"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("proxyProtocol: '10.0.0.0/33' (expected: a prefix length 0-32)");
        assertThatThrownBy(() -> ProxyManager.builder().proxyProtocol(ProxyProtocolMode.OPTIONAL, "balancer.example"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("proxyProtocol: 'balancer.example' (expected: an address or CIDR");
    }

    @Test
    void proxyProtocol_noTrustedSource_isRejected() {
        assertThatThrownBy(() -> ProxyManager.builder().proxyProtocol(ProxyProtocolMode.REQUIRED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("proxyProtocol: no trusted sources (expected: at least one CIDR");
    }

    @Test
    void proxyProtocol_nullMode_namesTheParameter() {
        assertThatThrownBy(() -> ProxyManager.builder().proxyProtocol("socks5", null, "10.0.0.1"))
                .isInstanceOf(NullPointerException.class).hasMessage("mode");
        assertThatThrownBy(() -> ProxyManager.builder().proxyProtocol(null, ProxyProtocolMode.REQUIRED, "10.0.0.1"))
                .isInstanceOf(NullPointerException.class).hasMessage("listener");
    }

    @Test
    void proxyProtocol_unknownListener_failsStart() {
        assertThatThrownBy(() -> ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0)
                .proxyProtocol("http", ProxyProtocolMode.REQUIRED, "10.0.0.1").start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("proxyProtocol: no listener named 'http' (expected one of: [socks5])");
    }

    @Test
    void upstreamProxyProtocol_onlyVersionsOneAndTwo() {
        assertThatThrownBy(() -> ProxyManager.builder().upstreamProxyProtocol(3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("upstreamProxyProtocol: 3 (expected: 1 or 2, 0 for off)");
        assertThatThrownBy(() -> ProxyManager.builder().upstreamProxyProtocol(-1))
                .isInstanceOf(IllegalArgumentException.class);
        ProxyManager.builder().upstreamProxyProtocol(0).upstreamProxyProtocol(1).upstreamProxyProtocol(2);
    }

    @Test
    void properties_proxyProtocolKeys_areChecked() {
        assertThat(ProxyProperties.keys()).contains("proxy-protocol", "proxy-protocol-mode", "upstream-proxy-protocol");
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), properties("proxy-protocol", "10.0.0.1, nope")))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("proxy-protocol: nope (expected: an address or CIDR");
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), properties("proxy-protocol", " , ")))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("proxy-protocol: , (expected: the load balancers' addresses");
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), properties("upstream-proxy-protocol", "2")))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("upstream-proxy-protocol: 2 (expected: v1, v2 or off)");
    }

    private static Properties properties(String key, String value) {
        Properties properties = new Properties();
        properties.setProperty(key, value);
        return properties;
    }
}

package dev.sallyport.core;

import dev.sallyport.core.internal.Config;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The login settings: defaults, and each rule rejecting a bad value at once with a message naming it. */
class LoginSettingsTest {

    @Test
    void defaults_100PerClient_ipv6Slash64_4ChecksAtOnce() {
        Config config = ProxyManager.builder().config();

        assertThat(config.maxLoginFailuresPerClient).isEqualTo(100);
        assertThat(config.loginIpv6Prefix).isEqualTo(64);
        assertThat(config.maxConcurrentLoginChecks).isEqualTo(4);
    }

    @Test
    void loginIpv6Prefix_takes32To128() {
        assertThat(ProxyManager.builder().loginIpv6Prefix(32).config().loginIpv6Prefix).isEqualTo(32);
        assertThat(ProxyManager.builder().loginIpv6Prefix(128).config().loginIpv6Prefix).isEqualTo(128);
        assertThatThrownBy(() -> ProxyManager.builder().loginIpv6Prefix(31))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("loginIpv6Prefix: 31 (expected: 32-128)");
        assertThatThrownBy(() -> ProxyManager.builder().loginIpv6Prefix(129))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("loginIpv6Prefix: 129 (expected: 32-128)");
    }

    @Test
    void maxLoginFailuresPerClient_takesZeroForNone_rejectsNegative() {
        assertThat(ProxyManager.builder().maxLoginFailuresPerClient(0).config().maxLoginFailuresPerClient).isZero();
        assertThatThrownBy(() -> ProxyManager.builder().maxLoginFailuresPerClient(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLoginFailuresPerClient: -1 (expected: >= 0, 0 for no limit)");
    }

    @Test
    void maxConcurrentLoginChecks_mustBePositive() {
        assertThat(ProxyManager.builder().maxConcurrentLoginChecks(1).config().maxConcurrentLoginChecks).isOne();
        assertThatThrownBy(() -> ProxyManager.builder().maxConcurrentLoginChecks(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrentLoginChecks: 0 (expected: >= 1)");
    }
}

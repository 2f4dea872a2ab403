package dev.sallyport.core;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Principal;
import dev.sallyport.api.User;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each builder rule rejects a bad value at once, with a message naming the setting. */
class ProxyManagerBuilderTest {

    @Test
    void port_outOfRange_rejectedNamingTheListener() {
        assertThatThrownBy(() -> ProxyManager.builder().socks5(70000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("socks5: port 70000 (expected: 0-65535, 0 for any free port)");
        assertThatThrownBy(() -> ProxyManager.builder().http(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("http: port -1");
    }

    @Test
    void listener_configuredTwice_rejected() {
        assertThatThrownBy(() -> ProxyManager.builder().socks5(1080).socks5(1081))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("socks5: already configured on port 1080 (expected: one listener per protocol)");
    }

    @Test
    void listener_badName_rejected() {
        assertThatThrownBy(() -> ProxyManager.builder().listener("SOCKS 5", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("listener: 'SOCKS 5'");
    }

    @Test
    void bind_nameInsteadOfAddress_rejectedWithoutLookup() {
        assertThatThrownBy(() -> ProxyManager.builder().bind("proxy.example"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bind: 'proxy.example' (expected: an IP address");
    }

    @Test
    void bind_acceptsLiteralsAndLocalhost() {
        ProxyManager.builder().bind("0.0.0.0").bind("::1").bind("[::1]").bind("localhost").bind("127.0.0.1");
    }

    @Test
    void timeouts_negativeOrZero_rejected() {
        assertThatThrownBy(() -> ProxyManager.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("connectTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> ProxyManager.builder().handshakeTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("handshakeTimeout: PT-1S");
        assertThatThrownBy(() -> ProxyManager.builder().idleTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("idleTimeout: PT-1S");
        assertThatThrownBy(() -> ProxyManager.builder().drainTimeout(null))
                .isInstanceOf(NullPointerException.class).hasMessage("drainTimeout");
        ProxyManager.builder().idleTimeout(Duration.ZERO).drainTimeout(Duration.ZERO).authCacheTtl(Duration.ZERO);
    }

    @Test
    void ioThreads_zero_rejected() {
        assertThatThrownBy(() -> ProxyManager.builder().ioThreads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ioThreads: 0 (expected: >= 1)");
    }

    @Test
    void user_emptyPasswordOrBadName_rejected() {
        assertThatThrownBy(() -> ProxyManager.builder().user("alice", ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("password: empty for user alice");
        assertThatThrownBy(() -> ProxyManager.builder().user("", "pw"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("name: 0 bytes");
        assertThatThrownBy(() -> ProxyManager.builder().user("a\nb", "pw"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control character");
        assertThatThrownBy(() -> ProxyManager.builder().user("x".repeat(256), "pw"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("name: 256 bytes");
    }

    @Test
    void start_withoutListeners_rejected() {
        assertThatThrownBy(() -> ProxyManager.builder().start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("listeners: none configured");
    }

    @Test
    void start_protocolModuleMissing_namesTheArtifact() {
        // proxy-core's own tests have no protocol module on the class path.
        assertThatThrownBy(() -> ProxyManager.builder().socks5(0).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("socks5: no protocol module serves this listener (expected: add the dependency "
                        + "dev.sallyport:proxy-socks5 to the class path");
    }

    @Test
    void limits_negative_rejected() {
        assertThatThrownBy(() -> new Limits(-1, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxSessions: -1 (expected: >= 0, 0 for no limit)");
    }

    @Test
    void secrets_neverInToString() {
        assertThat(Credentials.password("alice", "hunter2").toString()).contains("alice").doesNotContain("hunter2");
        assertThat(Credentials.token("tok-123").toString()).doesNotContain("tok-123");
        User user = new User("alice", Limits.NONE, true, Instant.EPOCH, Instant.EPOCH);
        assertThat(new NewCredentials(user, "pw-xyz", "tok-xyz").toString()).doesNotContain("pw-xyz").doesNotContain("tok-xyz");
        assertThat(Principal.of("alice").isAnonymous()).isFalse();
        assertThat(Principal.anonymous().isAnonymous()).isTrue();
    }
}

package dev.sallyport.core;

import dev.sallyport.api.InvalidSettingException;
import dev.sallyport.api.Limits;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The per-user session key says what it is ({@code max-sessions-per-user}; the builder's
 * {@code maxConnections} is a cap on all connections), its old name still works, and every
 * refusal names its key in a typed exception that callers read instead of the message.
 */
class ProxyPropertiesSettingsTest {

    private static ProxyManager.Builder apply(String... keysAndValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return ProxyProperties.apply(ProxyManager.builder(), properties);
    }

    @Test
    void maxSessionsPerUser_setsTheDefaultSessionsOfEachUser_notTheConnectionCap() {
        ProxyManager.Builder builder = apply("max-sessions-per-user", "4");
        assertThat(builder.config().defaultLimits).isEqualTo(Limits.NONE.withMaxSessions(4));
        assertThat(builder.config().maxConnections).isEqualTo(ProxyManager.builder().config().maxConnections);
    }

    @Test
    void maxConnections_oldName_stillSetsTheSessionsPerUser() {
        assertThat(apply("max-connections", "4").config().defaultLimits).isEqualTo(Limits.NONE.withMaxSessions(4));
    }

    @Test
    void oldAndNewNameTogether_refused() {
        assertThatThrownBy(() -> apply("max-connections", "4", "max-sessions-per-user", "5"))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
                    assertThat(e.setting()).isEqualTo("max-connections");
                    assertThat(e.problem()).isEqualTo("the old name of max-sessions-per-user, which is set too "
                            + "(expected: only max-sessions-per-user)");
                });
    }

    @Test
    void ioThreads_setsTheThreads_withinOneTo1024() {
        assertThat(apply("io-threads", "1").config().ioThreads).isEqualTo(1);
        assertThat(apply("io-threads", "1024").config().ioThreads).isEqualTo(1024);
        for (String bad : new String[] {"0", "1025", "two", "-1"}) {
            assertThatThrownBy(() -> apply("io-threads", bad))
                    .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
                        assertThat(e.setting()).isEqualTo("io-threads");
                        assertThat(e.problem()).isEqualTo(bad + " (expected: an integer 1-1024)");
                    });
        }
    }

    @Test
    void badValues_areTypedAndNameTheirKey() {
        assertThatThrownBy(() -> apply("bandwidth", "9999999999999G"))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
                    assertThat(e.setting()).isEqualTo("bandwidth");
                    assertThat(e.problem()).isEqualTo("9999999999999G (expected: bytes per second > 0 such as 1048576, "
                            + "512K, 10M or 1G)");
                    assertThat(e).hasMessage("bandwidth: " + e.problem());
                });
        assertThatThrownBy(() -> apply("sock5", "1080"))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("sock5"));
        assertThatThrownBy(() -> apply("tls-key", "k.pem"))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("tls-cert"));
        assertThatThrownBy(() -> apply("user.bob", " "))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("user.bob"));
    }
}

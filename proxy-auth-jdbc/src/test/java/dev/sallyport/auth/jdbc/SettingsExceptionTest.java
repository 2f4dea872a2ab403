package dev.sallyport.auth.jdbc;

import dev.sallyport.api.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A bad setting is an {@link InvalidSettingException} that names the setting and the problem, so
 * the command line maps it to its own flag without parsing the message (which stays as it was).
 */
class SettingsExceptionTest {

    private static void assertRefused(Map<String, String> settings, String setting, String problem) {
        assertThatThrownBy(() -> JdbcStore.fromSettings(settings))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
                    assertThat(e.setting()).isEqualTo(setting);
                    assertThat(e.problem()).isEqualTo(problem);
                    assertThat(e).hasMessage("jdbc: setting '" + setting + "' " + problem);
                });
    }

    @Test
    void badUrl_namesTheUrlSetting_withoutItsSecret() {
        assertRefused(Map.of("url", "jdbc:mysql://h/db?password=hunter2"), "url",
                "is not a PostgreSQL JDBC URL (expected: jdbc:postgresql://HOST[:PORT]/DATABASE)");
        assertRefused(Map.of("url", ""), "url",
                "missing (expected: a PostgreSQL JDBC URL, jdbc:postgresql://HOST[:PORT]/DATABASE)");
    }

    @Test
    void emptyUser_andBadNumbers_nameTheirSetting() {
        assertRefused(Map.of("url", "jdbc:postgresql://h/db", "user", ""), "user",
                "is empty (expected: a database user name, or leave it out to use the URL's)");
        assertRefused(Map.of("url", "jdbc:postgresql://h/db", "threads", "many"), "threads",
                "is 'many' (expected: an integer)");
    }

    @Test
    void unknownSetting_isNamed() {
        assertThatThrownBy(() -> JdbcStore.fromSettings(Map.of("url", "jdbc:postgresql://h/db", "pasword", "hunter2")))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("pasword"))
                .hasMessageNotContaining("hunter2");
    }
}

package dev.sallyport.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** In-memory users are checked when added, not at start(). */
class BuilderUserTest {

    @Test
    void user_sameNameTwice_rejectedAtOnceNamingTheSetting() {
        ProxyManager.Builder builder = ProxyManager.builder().user("a", "first-secret");
        assertThatThrownBy(() -> builder.user("a", "second-secret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("user: a added twice (expected: each user name once)")
                .hasMessageNotContaining("secret");
        assertThat(builder.config().initialUsers).hasSize(1);
    }

    @Test
    void user_namesThatDifferOnlyInCase_areTwoUsers() {
        ProxyManager.Builder builder = ProxyManager.builder().user("a", "x").user("A", "y");
        assertThat(builder.config().initialUsers).hasSize(2);
    }
}

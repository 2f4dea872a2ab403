package dev.sallyport.core;

import dev.sallyport.api.Limits;
import dev.sallyport.core.internal.policy.InMemoryUserStore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The builder's user() and the in-memory store apply the api's name rule at once, like every store. */
class BuilderUserNameRuleTest {

    @Test
    void user_nameWithAColonOrSurroundingSpace_rejectedAtOnce() {
        ProxyManager.Builder builder = ProxyManager.builder();
        assertThatThrownBy(() -> builder.user("a:b", "secret")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name: contains ':' at index 1").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> builder.user("bob ", "secret")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("starts or ends with a space");
        assertThat(builder.config().initialUsers).isEmpty();
    }

    @Test
    void inMemoryStoreCreate_nameWithAColon_rejected() throws Exception {
        try (InMemoryUserStore store = new InMemoryUserStore()) {
            assertThatThrownBy(() -> store.create("a:b", Limits.NONE).toCompletableFuture().join())
                    .hasRootCauseInstanceOf(IllegalArgumentException.class)
                    .rootCause().hasMessageStartingWith("name: contains ':'");
        }
    }
}

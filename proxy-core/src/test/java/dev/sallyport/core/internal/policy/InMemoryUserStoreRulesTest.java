package dev.sallyport.core.internal.policy;

import dev.sallyport.api.Limits;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The in-memory store applies the same name and password rule as the JDBC store (api UserNames). */
class InMemoryUserStoreRulesTest {

    @Test
    void create_withALoneSurrogateName_failsLikeTheJdbcStore() {
        try (InMemoryUserStore store = new InMemoryUserStore()) {
            assertThatThrownBy(() -> store.create("\uD800", "pw", Limits.NONE).toCompletableFuture().join())
                    .isInstanceOf(CompletionException.class)
                    .hasRootCauseInstanceOf(IllegalArgumentException.class)
                    .hasRootCauseMessage("name: not valid Unicode (expected: well-formed UTF-16, no lone surrogate)");
        }
    }

    @Test
    void create_withA5000BytePassword_failsLikeTheJdbcStore() {
        try (InMemoryUserStore store = new InMemoryUserStore()) {
            assertThatThrownBy(() -> store.create("alice", "x".repeat(5000), Limits.NONE).toCompletableFuture().join())
                    .isInstanceOf(CompletionException.class)
                    .hasRootCauseMessage("password: 5000 bytes (expected: at most 1024 bytes of UTF-8)");
        }
    }

    @Test
    void create_withAGeneratedPassword_succeeds() {
        try (InMemoryUserStore store = new InMemoryUserStore()) {
            assertThat(store.create("alice", null, Limits.NONE).toCompletableFuture().join().password()).isNotEmpty();
        }
    }
}

package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.Protocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JDBC store applies the api's rule to new names; a name stored before it still works and can be removed. */
@Timeout(120)
class JdbcUserNameRuleTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5);
    private static DataSource ds;
    private static JdbcStore store;

    @BeforeAll
    static void start() {
        ds = TestDatabase.fresh();
        store = JdbcStore.builder(ds).build();
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    private static <T> T join(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void create_nameWithAColonOrSurroundingSpace_failsWithTheRule() {
        assertThatThrownBy(() -> join(store.create("a:b", Limits.NONE))).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("name: contains ':' at index 1");
        assertThatThrownBy(() -> join(store.create(" bob", Limits.NONE))).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalArgumentException.class).hasMessageContaining("starts or ends with a space");
    }

    @Test
    void nameStoredBeforeTheRule_stillSignsIn_andCanBeRemoved_verbatim() throws Exception {
        // With ':name' (a Jdbi named parameter) and '$1': bound as a value, never parsed as SQL.
        join(store.create("legacy", "pw-legacy", Limits.NONE));
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE sallyport_users SET name = '$1 :name ? {}' WHERE name = 'legacy'");
        }
        assertThat(join(store.authenticate(Credentials.password("$1 :name ? {}", "pw-legacy"), CONTEXT)))
                .isInstanceOf(AuthResult.Success.class);
        assertThat(join(store.delete("$1 :name ? {}"))).isTrue();
    }
}

package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.UserStore;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Attributes of stored users: the rule, set and remove, the principal of a login, and rows older than them. */
@Timeout(120)
class UserAttributesTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5);

    private DataSource ds;
    private JdbcStore store;

    @BeforeEach
    void start() {
        ds = TestDatabase.fresh();
        store = JdbcStore.create(ds);
    }

    @AfterEach
    void stop() {
        store.close();
    }

    private Principal login(JdbcStore on, String user, String secret) throws Exception {
        AuthResult result = join(on.authenticate(Credentials.password(user, secret), CONTEXT));
        assertThat(result).isInstanceOf(AuthResult.Success.class);
        return ((AuthResult.Success) result).principal();
    }

    private static Map<String, String> changes(String... keyValues) {
        Map<String, String> changes = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            changes.put(keyValues[i], keyValues[i + 1]);
        }
        return changes;
    }

    private Throwable failure(String name, Map<String, String> changes) {
        return assertThatThrownBy(() -> store.attributes(name, changes).toCompletableFuture().join())
                .isInstanceOf(CompletionException.class).actual().getCause();
    }

    @Test
    void validate_keyOfAllowedCharactersUpTo64_andValueUpTo1024_pass() {
        UserAttributes.validate("a".repeat(64), "v".repeat(1024));
        UserAttributes.validate("Team-1_eu.zone", "");
        UserAttributes.validate("upstream", "eu west, ümlaut");
    }

    @Test
    void validate_keyWithOtherCharacters_orEmpty_orTooLong_isRefusedNamingIt() {
        assertThatThrownBy(() -> UserAttributes.validate("up stream", "eu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attribute key: 'up stream' (expected: letters, digits, '-', '_' or '.', 1-64 characters)");
        assertThatThrownBy(() -> UserAttributes.validate("", "eu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("attribute key: '' (expected:");
        assertThatThrownBy(() -> UserAttributes.validate("k".repeat(65), "eu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("attribute key: '" + "k".repeat(64) + "...' (expected:");
        assertThatThrownBy(() -> UserAttributes.validate("a=b", "eu")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UserAttributes.validate("é", "eu")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void validate_keyInCoresNamespace_isRefused() {
        assertThatThrownBy(() -> UserAttributes.validate("sallyport.credential-version", "9"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attribute key: 'sallyport.credential-version' (expected: not starting with 'sallyport.', "
                        + "which core reserves)");
    }

    @Test
    void validate_valueTooLong_orWithAControlCharacter_isRefused() {
        assertThatThrownBy(() -> UserAttributes.validate("note", "v".repeat(1025))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attribute note: 1025 characters (expected: at most 1024)");
        assertThatThrownBy(() -> UserAttributes.validate("note", "a\nb")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attribute note: a control character at index 1 (expected: none)");
    }

    @Test
    void attributes_setReplaceAndRemove_andTheListHoldsOnlyUsersWithAny() throws Exception {
        join(store.create("alice", "pw-a", Limits.NONE));
        join(store.create("bob", "pw-b", Limits.NONE));

        assertThat(join(store.attributes("alice", changes("upstream", "eu", "team", "red"))))
                .containsExactly(Map.entry("team", "red"), Map.entry("upstream", "eu"));
        assertThat(join(store.attributes("alice", changes("team", "", "upstream", "us", "absent", ""))))
                .containsExactly(Map.entry("upstream", "us"));
        assertThat(join(store.attributes("alice", Map.of()))).containsExactly(Map.entry("upstream", "us"));

        assertThat(join(store.attributes())).containsExactly(Map.entry("alice", Map.of("upstream", "us")));
        assertThat(join(store.attributes("bob", changes("upstream", "eu")))).containsExactly(Map.entry("upstream", "eu"));
        assertThat(join(store.attributes("bob", changes("upstream", "")))).isEmpty();
        assertThat(join(store.attributes())).containsOnlyKeys("alice");
    }

    @Test
    void attributes_ofAnUnknownUser_orAgainstTheRule_failWithIllegalArgument_andChangeNothing() throws Exception {
        join(store.create("alice", "pw-a", Limits.NONE));
        assertThat(failure("nobody", changes("upstream", "eu"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: no user 'nobody'");
        assertThat(failure("alice", changes("upstream", "eu", "sallyport.x", "1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sallyport.x");
        assertThat(failure("alice", changes("bad key", "1"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(join(store.attributes())).isEmpty();
    }

    @Test
    void login_principalCarriesTheAttributes_besideTheCredentialVersion() throws Exception {
        NewCredentials alice = join(store.create("alice", "pw-a", Limits.NONE));
        join(store.attributes("alice", changes("upstream", "eu", "team", "red")));

        Principal byPassword = login(store, "alice", "pw-a");
        assertThat(byPassword.attributes()).containsEntry("upstream", "eu").containsEntry("team", "red")
                .containsKey(Principal.CREDENTIAL_VERSION).hasSize(3);
        AuthResult byToken = join(store.authenticate(Credentials.token(alice.token()), CONTEXT));
        assertThat(((AuthResult.Success) byToken).principal().attributes()).containsEntry("upstream", "eu");
    }

    @Test
    void login_keyOfCoresNamespaceWrittenBySql_isNotPassedOn() throws Exception {
        join(store.create("alice", "pw-a", Limits.NONE));
        Jdbi.create(ds).useHandle(h -> h.execute("UPDATE sallyport_users SET attributes = "
                + "'{\"sallyport.limits\": \"none\", \"upstream\": \"eu\"}' WHERE name = 'alice'"));
        assertThat(login(store, "alice", "pw-a").attributes()).containsEntry("upstream", "eu")
                .doesNotContainKey("sallyport.limits");
    }

    @Test
    void change_tellsTheListeners_soCachedLoginsAreForgotten() throws Exception {
        join(store.create("alice", "pw-a", Limits.NONE));
        List<String> changed = new CopyOnWriteArrayList<>();
        store.addListener(new UserStore.Listener() {
            @Override
            public void userChanged(String name) {
                changed.add(name);
            }
        });
        join(store.attributes("alice", changes("upstream", "eu")));
        // This store's own listeners hear it before the call completes (the notification may add another).
        assertThat(changed).contains("alice");
    }

    @Test
    void migrationSix_usersStoredBefore_logInWithNoAttributes_andCanBeGivenSome() throws Exception {
        DataSource old = TestDatabase.fresh();
        TestDatabase.migrateTo(old, 5);
        Jdbi.create(old).useHandle(h -> {
            h.execute("INSERT INTO sallyport_users (name, password_hash, token_hash) VALUES ('bea', ?, 'unused')",
                    PasswordHashes.hash("pw-b"));
        });
        try (JdbcStore migrated = JdbcStore.create(old)) {
            assertThat(login(migrated, "bea", "pw-b").attributes()).containsOnlyKeys(Principal.CREDENTIAL_VERSION);
            assertThat(join(migrated.attributes("bea", changes("upstream", "eu")))).containsEntry("upstream", "eu");
            assertThat(login(migrated, "bea", "pw-b").attributes()).containsEntry("upstream", "eu");
        }
        assertThat(TestDatabase.query(old, "SELECT column_name FROM information_schema.columns WHERE table_name = "
                + "'sallyport_access_log' AND column_name IN ('route', 'upstream') ORDER BY 1"))
                .extracting(row -> row.get(0)).containsExactly("route", "upstream");
    }
}

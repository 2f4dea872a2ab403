package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.User;
import dev.sallyport.api.UserStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(120)
class JdbcUserStoreTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5);
    private static final Queue<String> CONNECTION_THREADS = new ConcurrentLinkedQueue<>();
    private static DataSource ds;
    private static JdbcStore store;

    @BeforeAll
    static void start() {
        DataSource real = TestDatabase.fresh();
        ds = real;
        store = JdbcStore.builder(recordingThreads(real)).build();
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    static <T> T join(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletionStage<?> stage) {
        try {
            join(stage);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("expected the stage to fail");
    }

    private static AuthResult login(String user, String password) throws Exception {
        return join(store.authenticate(Credentials.password(user, password), CONTEXT));
    }

    @Test
    void create_generatedSecrets_storesOnlySaltedHashWithParametersAndTokenSha256() throws Exception {
        NewCredentials created = join(store.create("carol", new Limits(3, 0, 1000, 2000)));

        assertThat(created.password()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(created.token()).hasSizeGreaterThanOrEqualTo(40);
        List<Object> row = TestDatabase.query(ds,
                "SELECT password_hash, token_hash FROM sallyport_users WHERE name = 'carol'").get(0);
        assertThat((String) row.get(0)).startsWith("pbkdf2-sha256$210000$").doesNotContain(created.password());
        assertThat(row.get(1)).isEqualTo(PasswordHashes.tokenHash(created.token()));
        assertThat(created.user().limits()).isEqualTo(new Limits(3, 0, 1000, 2000));
        assertThat(created.toString()).doesNotContain(created.password()).doesNotContain(created.token());
    }

    @Test
    void authenticate_passwordTokenAndTokenAsPassword_succeedWithTheUsersLimits() throws Exception {
        Limits limits = new Limits(2, 5, 100_000, 200_000);
        NewCredentials dave = join(store.create("dave", "correct horse", limits));

        AuthResult byPassword = login("dave", "correct horse");
        AuthResult byToken = join(store.authenticate(Credentials.token(dave.token()), CONTEXT));
        AuthResult byTokenAsPassword = login("dave", dave.token());

        for (AuthResult result : List.of(byPassword, byToken, byTokenAsPassword)) {
            assertThat(result).isInstanceOf(AuthResult.Success.class);
            Principal principal = ((AuthResult.Success) result).principal();
            assertThat(principal.name()).isEqualTo("dave");
            assertThat(principal.limits()).isEqualTo(limits);
        }
    }

    @Test
    void authenticate_wrongPasswordUnknownUserUnknownTokenDisabledUser_refusedOrPassedOn() throws Exception {
        join(store.create("erin", "pw-erin", Limits.NONE));

        assertThat(login("erin", "wrong")).isEqualTo(AuthResult.failure("bad_password"));
        assertThat(login("nobody", "pw")).isEqualTo(AuthResult.notMine());
        assertThat(join(store.authenticate(Credentials.token("no-such-token"), CONTEXT))).isEqualTo(AuthResult.notMine());
        assertThat(join(store.authenticate(Credentials.none(), CONTEXT))).isEqualTo(AuthResult.notMine());

        join(store.enable("erin", false));
        assertThat(login("erin", "pw-erin")).isEqualTo(AuthResult.failure("disabled"));
        join(store.enable("erin", true));
        assertThat(login("erin", "pw-erin")).isInstanceOf(AuthResult.Success.class);
    }

    @Test
    void rotate_oldPasswordAndTokenStopWorking_newOnesWork() throws Exception {
        NewCredentials before = join(store.create("frank", Limits.NONE));
        NewCredentials after = join(store.rotate("frank"));

        assertThat(login("frank", before.password())).isEqualTo(AuthResult.failure("bad_password"));
        assertThat(join(store.authenticate(Credentials.token(before.token()), CONTEXT))).isEqualTo(AuthResult.notMine());
        assertThat(login("frank", after.password())).isInstanceOf(AuthResult.Success.class);
        assertThat(join(store.authenticate(Credentials.token(after.token()), CONTEXT))).isInstanceOf(AuthResult.Success.class);
    }

    @Test
    void listAndFindUpdateDelete_reflectTheTable() throws Exception {
        join(store.create("gina", Limits.NONE));
        User updated = join(store.update("gina", Limits.NONE.withMaxSessions(7)));
        assertThat(updated.limits().maxSessions()).isEqualTo(7);
        assertThat(updated.updated()).isAfterOrEqualTo(updated.created());
        assertThat(join(store.find("gina"))).get().extracting(User::limits).isEqualTo(Limits.NONE.withMaxSessions(7));
        assertThat(join(store.list())).extracting(User::name).contains("gina").isSorted();

        assertThat(join(store.delete("gina"))).isTrue();
        assertThat(join(store.delete("gina"))).isFalse();
        assertThat(join(store.find("gina"))).isEmpty();
    }

    @Test
    void create_existingName_failsNamingIt() throws Exception {
        join(store.create("hank", Limits.NONE));
        assertThat(failure(store.create("hank", Limits.NONE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: user 'hank' already exists");
    }

    @Test
    void changes_ofUnknownUser_failNamingIt() {
        for (CompletionStage<?> stage : List.of(store.update("ghost", Limits.NONE), store.enable("ghost", false),
                store.rotate("ghost"))) {
            assertThat(failure(stage)).isInstanceOf(IllegalArgumentException.class).hasMessage("name: no user 'ghost'");
        }
    }

    @Test
    void create_invalidNamesAndPasswords_failWithTheRule() {
        assertThat(failure(store.create("", Limits.NONE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: 0 bytes (expected: 1-255 bytes of UTF-8)");
        assertThat(failure(store.create("é".repeat(128), Limits.NONE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: 256 bytes (expected: 1-255 bytes of UTF-8)");
        assertThat(failure(store.create("nul\0byte", Limits.NONE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("name: contains a control character at index 3");
        assertThat(failure(store.create("lone\uD800", Limits.NONE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("name: not valid Unicode");
        assertThat(failure(store.create("ivan", "", Limits.NONE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("password: empty");
        assertThat(failure(store.create("ivan", "x".repeat(1025), Limits.NONE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("password: 1025 bytes (expected: at most 1024 bytes of UTF-8)");
        assertThat(failure(store.create(null, Limits.NONE))).isInstanceOf(NullPointerException.class).hasMessage("name");
    }

    @Test
    void hostileNamesAndPasswords_areStoredAndCheckedVerbatim_andHarmless() throws Exception {
        List<String> names = List.of(
                "o'brien",
                "x'; DROP TABLE sallyport_users; --",
                "\"quoted\" \\back\\slash",
                "percent%_under_score",
                "名前-ユーザー",
                "emoji-😀-ñ",
                "$1 #name ? {}", // ':name', no longer valid in a new name, is checked in JdbcUserNameRuleTest
                "a".repeat(255));
        List<String> passwords = List.of(
                "'; DELETE FROM sallyport_users; --",
                "pässwörd-ß-名前",
                "semi;colon;\"quote\"",
                "p".repeat(1024),
                "' OR '1'='1",
                "😀😀😀",
                "\\x00 not a nul",
                "$$ dollar $$");
        for (int i = 0; i < names.size(); i++) {
            join(store.create(names.get(i), passwords.get(i), Limits.NONE));
        }
        for (int i = 0; i < names.size(); i++) {
            AuthResult ok = login(names.get(i), passwords.get(i));
            assertThat(ok).as(names.get(i)).isInstanceOf(AuthResult.Success.class);
            assertThat(((AuthResult.Success) ok).principal().name()).isEqualTo(names.get(i));
            assertThat(login(names.get(i), passwords.get((i + 1) % names.size()))).isEqualTo(AuthResult.failure("bad_password"));
        }
        // A prefix or a LIKE pattern must not match anything.
        assertThat(login("percent%", passwords.get(3))).isEqualTo(AuthResult.notMine());
        assertThat(login("o'brien' OR '1'='1", passwords.get(0))).isEqualTo(AuthResult.notMine());
        // Names no stored user can have never reach the database, and never fail the call.
        assertThat(login("nul\0name", "x")).isEqualTo(AuthResult.notMine());
        assertThat(login("lone\uDC00", "x")).isEqualTo(AuthResult.notMine());
        assertThat(login("é".repeat(200), "x")).isEqualTo(AuthResult.notMine());

        assertThat(join(store.list())).extracting(User::name).containsAll(names);
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_users WHERE name IN ('o''brien', '名前-ユーザー')"))
                .isEqualTo(2);
        for (String name : names) {
            assertThat(join(store.delete(name))).isTrue();
        }
    }

    @Test
    void listener_hearsEveryChangeMadeThroughTheStore() throws Exception {
        Queue<String> heard = new ConcurrentLinkedQueue<>();
        store.addListener(new UserStore.Listener() {
            @Override
            public void userChanged(String name) {
                heard.add("changed " + name);
            }

            @Override
            public void credentialsChanged(String name, long version) {
                heard.add("credentials " + name);
            }
        });
        Fleet.awaitListening(ds, 1);
        // Each change is told at once, before its stage completes...
        join(store.create("judy", Limits.NONE));
        assertThat(heard).contains("credentials judy");
        join(store.update("judy", Limits.NONE.withBandwidth(10)));
        assertThat(heard).contains("changed judy");
        join(store.enable("judy", false));
        join(store.rotate("judy"));
        join(store.delete("judy"));
        join(store.delete("judy"));
        // ...and once more when its notification comes back (created, updated, disabled, rotated, deleted).
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> heard.size() >= 10);
        assertThat(heard).containsExactlyInAnyOrder("credentials judy", "credentials judy", "credentials judy",
                "credentials judy", "changed judy", "changed judy", "changed judy", "changed judy", "changed judy",
                "changed judy");
    }

    @Test
    void databaseWork_runsOnTheStoresOwnThreads_neverTheCallers() throws Exception {
        CONNECTION_THREADS.clear();
        NewCredentials kim = join(store.create("kim", Limits.NONE));
        join(store.authenticate(Credentials.password("kim", kim.password()), CONTEXT));
        join(store.authenticate(Credentials.token(kim.token()), CONTEXT));
        join(store.list());
        assertThat(CONNECTION_THREADS).isNotEmpty().allSatisfy(name -> assertThat(name).startsWith("sallyport-jdbc-"));
    }

    @Test
    void builder_rejectsBadValuesNamingThem() {
        JdbcStore.Builder builder = JdbcStore.builder(ds);
        assertThatThrownBy(() -> builder.batchSize(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("batchSize: 0 (expected: 1-2000)");
        assertThatThrownBy(() -> builder.threads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads: 0 (expected: 1-256)");
        assertThatThrownBy(() -> builder.flushInterval(java.time.Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("flushInterval: PT0S (expected: > 0)");
        assertThatThrownBy(() -> builder.flushInterval(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("flushInterval");
        assertThatThrownBy(() -> JdbcStore.builder(ds).flushInterval(java.time.Duration.ofSeconds(5))
                .maxBackoff(java.time.Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalStateException.class).hasMessage("maxBackoff: PT1S (expected: >= flushInterval PT5S)");
        assertThatThrownBy(() -> JdbcStore.builder(null)).isInstanceOf(NullPointerException.class).hasMessage("dataSource");
    }

    /** A data source that records which thread asks it for a connection. */
    private static DataSource recordingThreads(DataSource real) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        CONNECTION_THREADS.add(Thread.currentThread().getName());
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}

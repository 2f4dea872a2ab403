package dev.sallyport.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Protocol;
import dev.sallyport.auth.jdbc.JdbcStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code users} on real processes against a real PostgreSQL: {@code add --password-stdin},
 * {@code list --format json}, the name rule with exit 2, and tables aligned for wide names.
 */
@Timeout(180)
class UsersCliTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    private record Run(int exit, List<String> out, String err) {
    }

    private static ServerProcess start(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("users"));
        command.addAll(List.of(args));
        command.addAll(List.of("--jdbc-url", postgres.url(), "--jdbc-user", "postgres"));
        return ServerProcess.start(command.toArray(String[]::new));
    }

    /** Runs {@code users ARGS} with {@code stdin} (null: standard input closed at once). */
    private static Run users(String stdin, String... args) throws Exception {
        try (ServerProcess process = start(args)) {
            try (OutputStream in = process.process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            int exit = process.awaitExit();
            return new Run(exit, process.remainingStdout(), process.stderr());
        }
    }

    private static void assertBadInput(Run run, String message) {
        assertThat(run.exit()).as(run.err()).isEqualTo(2);
        assertThat(run.err().lines().filter(l -> l.startsWith("sallyport:")).toList()).containsExactly(message);
    }

    private static AuthResult login(String user, String password) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(postgres.url());
        ds.setUser("postgres");
        try (JdbcStore store = JdbcStore.builder(ds).build()) {
            return store.authenticate(Credentials.password(user, password),
                    new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void addPasswordStdin_readsTheFirstLine_andThatPasswordSignsIn() throws Exception {
        Run run = users("pw from stdin\nsecond line\n", "add", "zoe", "--password-stdin");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("user     zoe", "password pw from stdin");
        assertThat(login("zoe", "pw from stdin")).isInstanceOf(AuthResult.Success.class);
        assertThat(login("zoe", "second line")).isInstanceOf(AuthResult.Failure.class);
    }

    @Test
    void addPasswordStdin_withoutALine_orWithPasswordToo_exitsTwo() throws Exception {
        assertBadInput(users(null, "add", "yann", "--password-stdin"),
                "sallyport: --password-stdin: no line on standard input (expected: the password and a newline) (see --help)");
        assertBadInput(users("pw\n", "add", "yann", "--password-stdin", "--password", "x"),
                "sallyport: --password-stdin: also --password (expected: one of them) (see --help)");
        assertBadInput(users("\n", "add", "yann", "--password-stdin"),
                "sallyport: password: empty (expected: at least one character, or null to generate) (see --help)");
    }

    @Test
    void add_nameBreakingTheRule_exitsTwoNamingIt() throws Exception {
        assertBadInput(users(null, "add", "a:b"), "sallyport: name: contains ':' at index 1 "
                + "(expected: no ':', which HTTP Basic cannot carry in a name) (see --help)");
        assertBadInput(users(null, "add", "bob "), "sallyport: name: 'bob ' starts or ends with a space "
                + "(expected: no space or other blank at either end) (see --help)");
    }

    @Test
    void listFormatJson_isOneObjectWithEveryUser_andTableAlignsWideNames() throws Exception {
        assertThat(users(null, "add", "山田太郎", "--max-sessions", "3").exit()).isZero();
        assertThat(users(null, "add", "al", "--bandwidth", "1M").exit()).isZero();

        Run json = users(null, "list", "--format", "json");
        assertThat(json.exit()).as(json.err()).isZero();
        assertThat(json.out()).hasSize(1);
        JsonNode users = new ObjectMapper().readTree(json.out().get(0)).get("users");
        JsonNode wide = null;
        for (JsonNode user : users) {
            if (user.get("name").asText().equals("山田太郎")) {
                wide = user;
            }
        }
        assertThat(wide).isNotNull();
        assertThat(wide.get("enabled").asBoolean()).isTrue();
        assertThat(wide.get("maxSessions").asInt()).isEqualTo(3);
        assertThat(wide.get("created").asText()).endsWith("Z");

        Run table = users(null, "list");
        assertThat(table.exit()).as(table.err()).isZero();
        int stateColumn = DisplayWidth.of(table.out().get(0).substring(0, table.out().get(0).indexOf("STATE")));
        List<String> rows = table.out().stream().filter(l -> l.startsWith("山田太郎 ") || l.startsWith("al ")).toList();
        assertThat(rows).hasSize(2).allSatisfy(row ->
                assertThat(DisplayWidth.of(row.substring(0, row.indexOf("enabled")))).isEqualTo(stateColumn));
    }

    @Test
    void listFormat_unknown_exitsTwo() throws Exception {
        assertBadInput(users(null, "list", "--format", "xml"), "sallyport: --format: 'xml' (expected: table or json) (see --help)");
    }
}

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

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code users add/set --attr KEY=VALUE} against a real PostgreSQL: stored, removed with
 * {@code KEY=}, shown by {@code list} (table and JSON), carried by the login; bad input exits 2
 * naming the flag before the database is touched.
 */
@Timeout(120)
class UsersAttrCliTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String url, String... args) {
        List<String> command = new ArrayList<>(List.of("users"));
        command.addAll(List.of(args));
        command.addAll(List.of("--jdbc-url", url, "--jdbc-user", "postgres"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(command.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private static Run users(String... args) {
        return run(postgres.url(), args);
    }

    private static String deadJdbcUrl() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "jdbc:postgresql://127.0.0.1:" + socket.getLocalPort() + "/nothing";
        }
    }

    private static Map<String, String> loginAttributes(String user, String password) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(postgres.url());
        ds.setUser("postgres");
        try (JdbcStore store = JdbcStore.builder(ds).build()) {
            AuthResult result = store.authenticate(Credentials.password(user, password),
                    new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(result).isInstanceOf(AuthResult.Success.class);
            return ((AuthResult.Success) result).principal().attributes();
        }
    }

    private static void assertBadInput(Run run, String message) {
        assertThat(run.exit()).as(run.err()).isEqualTo(2);
        assertThat(run.err().lines().filter(l -> l.startsWith("sallyport:")).toList()).containsExactly(message);
    }

    @Test
    void addAndSetAttr_storeAndRemoveKeys_listShowsThem_andTheLoginCarriesThem() throws Exception {
        assertThat(users("add", "ines", "--password", "pw-i", "--attr", "upstream=eu", "--attr", "team=red").exit()).isZero();
        assertThat(users("add", "otto", "--password", "pw-o").exit()).isZero();
        assertThat(loginAttributes("ines", "pw-i")).containsEntry("upstream", "eu").containsEntry("team", "red");

        Run set = users("set", "ines", "--attr", "team=", "--attr", "zone=a b", "--max-sessions", "2");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).isEqualTo("updated ines" + System.lineSeparator());
        assertThat(loginAttributes("ines", "pw-i")).containsEntry("upstream", "eu").containsEntry("zone", "a b")
                .doesNotContainKey("team");

        Run table = users("list");
        assertThat(table.exit()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0)).endsWith("CREATED            ATTRIBUTES");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("ines ").contains(" 2 ").endsWith("  upstream=eu,zone=a b"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("otto ").endsWith("  -"));

        Run json = users("list", "--format", "json");
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode listed = new ObjectMapper().readTree(json.out()).get("users");
        assertThat(listed).hasSize(2);
        assertThat(listed.get(0).get("name").asText()).isEqualTo("ines");
        assertThat(listed.get(0).get("attributes").properties()).extracting(e -> e.getKey() + "=" + e.getValue().asText())
                .containsExactly("upstream=eu", "zone=a b");
        assertThat(listed.get(1).get("attributes").isEmpty()).isTrue();
    }

    @Test
    void setAttr_ofAnUnknownUser_exitsTwoNamingTheUser() {
        assertBadInput(users("set", "nobody", "--attr", "upstream=eu"), "sallyport: name: no user 'nobody' (see --help)");
    }

    @Test
    void badAttr_exitsTwoNamingTheFlag_beforeTheDatabase() throws Exception {
        String url = deadJdbcUrl();
        assertBadInput(run(url, "set", "bob", "--attr", "upstream"),
                "sallyport: --attr: 'upstream' (expected: KEY=VALUE, or KEY= to remove the key) (see --help)");
        assertBadInput(run(url, "add", "bob", "--attr", "up stream=eu"), "sallyport: --attr: attribute key: 'up stream' "
                + "(expected: letters, digits, '-', '_' or '.', 1-64 characters) (see --help)");
        assertBadInput(run(url, "set", "bob", "--attr", "=eu"), "sallyport: --attr: attribute key: '' "
                + "(expected: letters, digits, '-', '_' or '.', 1-64 characters) (see --help)");
        assertBadInput(run(url, "set", "bob", "--attr", "sallyport.credential-version=1"),
                "sallyport: --attr: attribute key: 'sallyport.credential-version' (expected: not starting with "
                        + "'sallyport.', which core reserves) (see --help)");
        assertBadInput(run(url, "set", "bob", "--attr", "note=" + "x".repeat(1025)),
                "sallyport: --attr: attribute note: 1025 characters (expected: at most 1024) (see --help)");
        assertBadInput(run(url, "set", "bob", "--attr", "note=a\tb"),
                "sallyport: --attr: attribute note: a control character at index 1 (expected: none) (see --help)");
        assertBadInput(run(url, "set", "bob"), "sallyport: set: nothing to change (expected: --bandwidth, "
                + "--max-sessions, --sessions-per-second or --attr) (see --help)");
    }
}

package dev.sallyport.server;

import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's three PostgreSQL roles, created with exactly the README's SQL (read from the
 * README itself), each running each command: what the README says works, works; what it says is
 * refused exits 1 with one line naming {@code permission denied}.
 */
@Timeout(300)
class LeastPrivilegeRolesTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    private static String token;

    private record Run(int exit, String out, String err) {
        String errors() {
            return String.join("\n", err.lines().filter(l -> l.startsWith("sallyport:")).toList());
        }
    }

    /** The README's {@code sql} block whose first line starts with {@code firstLine}. */
    static String readmeSql(String firstLine) throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher block = Pattern.compile("```sql\n(" + Pattern.quote(firstLine) + ".*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(block.find()).as("README sql block starting '" + firstLine + "'").isTrue();
        return block.group(1);
    }

    private static void execute(String role, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.url(), role, ""); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.url(), "postgres", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Run run(String role, String... args) {
        return runAt(postgres.url(), role, args);
    }

    private static Run runAt(String url, String role, String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(List.of("--jdbc-url", url, "--jdbc-user", role));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(command.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private static void assertWorks(Run run) {
        assertThat(run.exit()).as(run.err()).isZero();
    }

    private static void assertRefused(Run run) {
        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(run.errors()).contains("permission denied (the database role lacks a grant) (SQLState 42501)")
                .doesNotContain("\n");
    }

    @BeforeAll
    static void rolesAndGrantsAsTheReadmeSays() throws Exception {
        execute("postgres", readmeSql("-- roles, as a superuser"));
        Run migrate = run("sallyport_owner", "migrate");
        assertWorks(migrate);
        assertThat(migrate.out()).isEqualTo("schema current\n");
        execute("sallyport_owner", readmeSql("-- grants, as sallyport_owner"));
        // A user with limits, so that serving takes fleet leases and the session-rate bucket too.
        Run added = run("sallyport_owner", "users", "add", "alice", "--max-sessions", "2", "--sessions-per-second", "5");
        assertWorks(added);
        token = added.out().lines().filter(l -> l.startsWith("token ")).findFirst().orElseThrow()
                .substring("token ".length()).trim();
    }

    @Test
    void notMigratedYet_isRefusedToTheOtherRoles_andNoMigrateNamesTheMigrateCommand() throws Exception {
        // A second database set up as the README says, where nobody ran 'migrate' yet.
        execute("postgres", "CREATE DATABASE pending");
        String pending = postgres.url().replaceAll("/postgres$", "/pending");
        try (Connection c = DriverManager.getConnection(pending, "postgres", ""); Statement s = c.createStatement()) {
            for (String statement : readmeSql("-- roles, as a superuser").split(";")) {
                String sql = statement.replaceAll("(?m)--.*$", "").trim();
                if (!sql.isEmpty() && !sql.startsWith("CREATE ROLE")) {
                    s.execute(sql);
                }
            }
        }
        for (String role : List.of("sallyport_serve", "sallyport_report")) {
            assertRefused(runAt(pending, role, "migrate"));
            assertRefused(runAt(pending, role, "stats"));
            Run checked = runAt(pending, role, "stats", "--no-migrate");
            assertThat(checked.exit()).as(checked.err()).isEqualTo(1);
            assertThat(checked.errors()).isEqualTo("sallyport: jdbc: schema missing: no sallyport_schema_history table "
                    + "(expected: migrate it first as the schema's owner, 'bin/sallyport migrate' or a JdbcStore "
                    + "built with migrate(true))");
        }
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--no-migrate",
                "--jdbc-url", pending, "--jdbc-user", "sallyport_serve")) {
            assertThat(server.awaitExit()).isEqualTo(1);
            assertThat(server.stderr().lines().filter(l -> l.startsWith("sallyport:")).toList())
                    .singleElement().asString().contains("schema missing").contains("'bin/sallyport migrate'");
        }
    }

    @Test
    void owner_runsEveryCommand() {
        assertWorks(run("sallyport_owner", "migrate"));
        assertWorks(run("sallyport_owner", "users", "list"));
        assertWorks(run("sallyport_owner", "stats"));
        assertWorks(run("sallyport_owner", "users", "add", "owned"));
        assertWorks(run("sallyport_owner", "users", "remove", "owned"));
    }

    @Test
    void reportingRole_runsStatsAndUsersList_withNoMigrate_andIsRefusedTheRest() {
        assertWorks(run("sallyport_report", "stats", "--no-migrate"));
        Run list = run("sallyport_report", "users", "list", "--no-migrate");
        assertWorks(list);
        assertThat(list.out()).contains("alice");

        assertRefused(run("sallyport_report", "stats"));
        assertRefused(run("sallyport_report", "migrate"));
        assertRefused(run("sallyport_report", "users", "add", "mallory", "--no-migrate"));
        assertRefused(run("sallyport_report", "users", "disable", "alice", "--no-migrate"));
    }

    @Test
    void servingRole_servesWithNoMigrate_loginsAccessLogUsageAndLeases_andIsRefusedTheRest() throws Exception {
        assertRefused(run("sallyport_serve", "migrate"));
        assertRefused(run("sallyport_serve", "serve", "--socks5", "0"));
        assertRefused(run("sallyport_serve", "users", "add", "mallory", "--no-migrate"));

        long logged = count("SELECT count(*) FROM sallyport_access_log WHERE user_name = 'alice'");
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--no-migrate",
                     "--jdbc-url", postgres.url(), "--jdbc-user", "sallyport_serve")) {
            var socks = server.awaitReady().get(0).address();
            Authenticator.setDefault(new Authenticator() {
                @Override
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication("alice", token.toCharArray());
                }
            });
            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, socks))) {
                tunnel.connect(echo.address(), 5000);
                tunnel.getOutputStream().write(new byte[1000]);
                assertThat(tunnel.getInputStream().readNBytes(1000)).hasSize(1000);
                // Leased fleet-wide while open: the serving role inserted it.
                await().until(() -> count("SELECT count(*) FROM sallyport_leases WHERE user_name = 'alice'") == 1);
                tunnel.shutdownOutput();
                assertThat(tunnel.getInputStream().readAllBytes()).isEmpty();
            } finally {
                Authenticator.setDefault(null);
            }
            server.process.destroy(); // SIGTERM writes the buffered access log
            assertThat(server.awaitExit()).as(server.stderr()).isZero();
            assertThat(server.stderr()).doesNotContain("SQLState").doesNotContain("Exception");
        }
        assertThat(count("SELECT count(*) FROM sallyport_access_log WHERE user_name = 'alice'")).isEqualTo(logged + 1);
        assertThat(count("SELECT coalesce(sum(bytes_up), 0) FROM sallyport_usage_hourly WHERE user_name = 'alice'"))
                .isGreaterThanOrEqualTo(1000);
        assertThat(count("SELECT count(*) FROM sallyport_session_rate WHERE user_name = 'alice'")).isEqualTo(1);
    }
}

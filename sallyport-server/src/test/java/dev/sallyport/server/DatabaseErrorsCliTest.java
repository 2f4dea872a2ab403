package dev.sallyport.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Each database failure an operator fixes outside Sallyport reaches the command line by name,
 * as one {@code sallyport:} line and exit 1 (README: With PostgreSQL), for {@code users},
 * {@code stats}, {@code migrate} and {@code serve} alike.
 */
@Timeout(180)
class DatabaseErrorsCliTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    @BeforeAll
    static void roles() throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.url(), "postgres", ""); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE cannot_login NOLOGIN");
            s.execute("CREATE ROLE no_room LOGIN CONNECTION LIMIT 0");
            s.execute("CREATE ROLE with_password LOGIN PASSWORD 'right'");
            // The embedded server trusts everyone: make this one role prove its password.
            String hba;
            try (ResultSet rs = s.executeQuery("SHOW hba_file")) {
                rs.next();
                hba = rs.getString(1);
            }
            Path file = Path.of(hba);
            Files.writeString(file, "host all with_password 127.0.0.1/32 scram-sha-256\n" + Files.readString(file));
            s.execute("SELECT pg_reload_conf()");
        }
        await().until(() -> {
            try (Connection ignored = DriverManager.getConnection(postgres.url(), "with_password", "wrong")) {
                return false;
            } catch (SQLException e) {
                return "28P01".equals(e.getSQLState());
            }
        });
    }

    @Test
    void wrongPassword_isNamed() {
        assertThat(failure("users", "list", "--jdbc-url", postgres.url(), "--jdbc-user", "with_password",
                "--jdbc-password", "wrong"))
                .isEqualTo("sallyport: jdbc: schema migration failed: login refused (bad user name or password) (SQLState 28P01)")
                .doesNotContain("wrong");
    }

    private static String failure(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isEqualTo(1);
        return String.join("\n", err.toString().lines().filter(l -> l.startsWith("sallyport:")).toList());
    }

    @Test
    void missingDatabase_isNamed() {
        String url = postgres.url().replaceAll("/postgres$", "/no_such_db");
        for (String command : new String[] {"migrate", "stats"}) {
            assertThat(failure(command, "--jdbc-url", url, "--jdbc-user", "postgres"))
                    .isEqualTo("sallyport: jdbc: schema migration failed: database does not exist (SQLState 3D000)");
        }
    }

    @Test
    void roleThatCannotLogIn_isNamed() {
        assertThat(failure("users", "list", "--jdbc-url", postgres.url(), "--jdbc-user", "cannot_login"))
                .isEqualTo("sallyport: jdbc: schema migration failed: login refused (bad user name or password) (SQLState 28000)");
    }

    @Test
    void roleAtItsConnectionLimit_isNamed() {
        assertThat(failure("users", "list", "--jdbc-url", postgres.url(), "--jdbc-user", "no_room"))
                .isEqualTo("sallyport: jdbc: schema migration failed: too many connections (the role's or the server's "
                        + "limit) (SQLState 53300)");
    }

    @Test
    void serve_missingDatabase_exitsOneNamingIt() throws Exception {
        String url = postgres.url().replaceAll("/postgres$", "/no_such_db");
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-user", "postgres")) {
            assertThat(server.awaitExit()).isEqualTo(1);
            assertThat(server.stderr().lines().filter(l -> l.startsWith("sallyport:")).toList())
                    .containsExactly("sallyport: jdbc: schema migration failed: database does not exist (SQLState 3D000)");
        }
    }

    @Test
    void unreachable_isNamed() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        assertThat(failure("stats", "--jdbc-url", "jdbc:postgresql://127.0.0.1:" + closed + "/x"))
                .isEqualTo("sallyport: jdbc: schema migration failed: database unreachable (SQLState 08001)");
    }
}

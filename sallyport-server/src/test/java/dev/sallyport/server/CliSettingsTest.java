package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line says what its settings are and refuses bad ones as usage errors (exit 2, one
 * line naming the flag): the per-user session default is {@code --max-sessions-per-user} (the old
 * {@code --max-connections}, which read like the total cap, still works with one WARN), a
 * bandwidth too large for a long is refused, and library refusals reach the user through their
 * typed exceptions. Checks that need no database run against a closed port: they must refuse
 * before connecting.
 */
@Timeout(120)
class CliSettingsTest {

    static String effective(String... args) throws Exception {
        CommandLine line = new CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
        CommandLine.ParseResult result = line.parseArgs(ConfigFile.expand(args));
        ServeCommand serve = (ServeCommand) result.subcommand().commandSpec().userObject();
        return serve.effectiveConfiguration();
    }

    private static String deadJdbcUrl() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "jdbc:postgresql://127.0.0.1:" + socket.getLocalPort() + "/nothing";
        }
    }

    /** Runs the command line; returns its stderr after checking the exit code and the one error line. */
    static String usageError(String... args) throws Exception {
        try (ServerProcess process = ServerProcess.start(args)) {
            assertThat(process.awaitExit()).as(process.stderr()).isEqualTo(2);
            List<String> errors = process.stderr().lines().filter(l -> l.startsWith("sallyport:")).toList();
            assertThat(errors).as(process.stderr()).hasSize(1);
            return errors.get(0);
        }
    }

    @Test
    void maxSessionsPerUser_isTheFlag_andTheConfigKey(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("sallyport.properties"), "max-sessions-per-user=4\n");
        assertThat(effective("serve", "--max-sessions-per-user", "4")).contains(" max-sessions-per-user=4 ")
                .isEqualTo(effective("serve", "--config", file.toString()));
    }

    @Test
    void routingAndForwardAuth_areInTheEffectiveConfiguration_upstreamPasswordsMasked(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("sallyport.properties"), String.join("\n",
                "upstream.eu=socks5://ann:pa55word@127.0.0.1:1081;strategy=failover", "route.1=port:25=deny",
                "route.2=*=eu", "egress=127.0.0.1", "metrics=0", "forward-auth=true", ""));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String line = effective("serve", "--upstream", "eu=socks5://ann:pa55word@127.0.0.1:1081;strategy=failover",
                "--route", "port:25=deny", "--route", "*=eu", "--egress", "127.0.0.1", "--metrics", "0", "--forward-auth");
        assertThat(line).contains(" upstream=[eu[socks5://ann:***@127.0.0.1:1081] failover]",
                " route=[port:25=deny, *=eu]", " egress=127.0.0.1", " forward-auth=true forward-auth-trusted=[]")
                .doesNotContain("pa55word")
                .isEqualTo(effective("serve", "--config", file.toString()));
    }

    @Test
    void maxConnections_oldSpelling_stillSetsTheSessionsPerUser(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("old.properties"), "max-connections=4\n");
        String expected = effective("serve", "--max-sessions-per-user", "4");
        assertThat(effective("serve", "--max-connections", "4")).isEqualTo(expected);
        assertThat(effective("serve", "--config", file.toString())).isEqualTo(expected);
    }

    /**
     * Starts {@code args} and returns the log lines before {@code until} on stdout (where the
     * tests' logging configuration writes WARN and above).
     */
    static List<String> logLinesBefore(String until, String... args) throws Exception {
        try (ServerProcess process = ServerProcess.start(args)) {
            List<String> lines = new ArrayList<>();
            for (String line = process.nextLine(); !line.startsWith(until); line = process.nextLine()) {
                lines.add(line);
            }
            return lines;
        }
    }

    @Test
    void maxConnections_oldSpelling_logsOneWarnNamingTheNewFlag() throws Exception {
        assertThat(logLinesBefore("listening", "serve", "--socks5", "0", "--max-connections", "4", "--max-connections", "5"))
                .singleElement().asString().contains(" WARN ").contains("--max-connections is deprecated")
                .endsWith("use --max-sessions-per-user");
        assertThat(logLinesBefore("listening", "serve", "--socks5", "0", "--max-sessions-per-user", "4")).isEmpty();
    }

    @Test
    void serve_bandwidthPastALong_exitsTwoNamingTheFlag() throws Exception {
        assertThat(usageError("serve", "--socks5", "0", "--bandwidth", "9999999999999G"))
                .startsWith("sallyport: --bandwidth: 9999999999999G (expected: bytes per second > 0");
    }

    @Test
    void serve_badJdbcUrl_exitsTwoNamingTheFlag_neverItsPassword() throws Exception {
        assertThat(usageError("serve", "--socks5", "0", "--jdbc-url", "jdbc:mysql://db/x?password=hunter2"))
                .isEqualTo("sallyport: --jdbc-url: is not a PostgreSQL JDBC URL (expected: "
                        + "jdbc:postgresql://HOST[:PORT]/DATABASE) (see --help)");
    }

    @Test
    void users_badJdbcUrl_exitsTwoNamingTheFlag() throws Exception {
        assertThat(usageError("users", "list", "--jdbc-url", "jdbc:postgresql://h:notaport/x"))
                .startsWith("sallyport: --jdbc-url: cannot be parsed (expected: ");
    }

    @Test
    void users_invalidName_exitsTwoBeforeTheDatabase() throws Exception {
        String url = deadJdbcUrl();
        for (String command : List.of("add", "disable", "enable", "remove", "rotate")) {
            assertThat(usageError("users", command, "a\u0001b", "--jdbc-url", url)).as(command)
                    .startsWith("sallyport: name: contains a control character");
        }
        assertThat(usageError("users", "set", "a\u0001b", "--max-sessions", "1", "--jdbc-url", url))
                .startsWith("sallyport: name: contains a control character");
    }

    @Test
    void users_badLimits_exitTwoBeforeTheDatabase() throws Exception {
        String url = deadJdbcUrl();
        assertThat(usageError("users", "add", "bob", "--bandwidth", "99999999999999999999", "--jdbc-url", url))
                .startsWith("sallyport: --bandwidth: '99999999999999999999' is too large");
        assertThat(usageError("users", "add", "bob", "--bandwidth", "9999999999999G", "--jdbc-url", url))
                .startsWith("sallyport: --bandwidth: '9999999999999G' is too large");
        assertThat(usageError("users", "set", "bob", "--max-sessions", "-1", "--jdbc-url", url))
                .startsWith("sallyport: --max-sessions: -1 (expected: >= 0, 0 for no limit)");
        assertThat(usageError("users", "add", "bob", "--password", "", "--jdbc-url", url))
                .startsWith("sallyport: password: empty");
    }
}

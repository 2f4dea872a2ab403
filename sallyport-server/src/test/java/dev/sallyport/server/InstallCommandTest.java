package dev.sallyport.server;

import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code sallyport install} into a temporary prefix, and {@code serve} started from what it wrote. */
@Timeout(120)
class InstallCommandTest {

    /** The product's logging (to stderr), as the unit runs it: the config file says log-level=info. */
    private static final List<String> PRODUCT_LOGGING = List.of("-Dlogback.configurationFile="
            + Path.of("src/main/resources/logback.xml").toAbsolutePath());
    private static final Pattern PASSWORD = Pattern.compile("(?m)^password (\\S+)$");

    record Run(int exit, String out, String err) {
    }

    static Run install(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(Stream.concat(Stream.of("install"), Stream.of(args)).toArray(String[]::new),
                new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void install_thenServeFromTheWrittenConfig_acceptsThePrintedUserOnly(@TempDir Path prefix) throws Exception {
        Run run = install("--protocol", "socks5", "--port", "0", "--bind", "127.0.0.1", "--prefix", prefix.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        Path config = prefix.resolve("etc/sallyport/sallyport.conf");
        Path unit = prefix.resolve("etc/systemd/system/sallyport.service");
        assertThat(run.out()).contains("wrote " + config + " (rw-------)", "wrote " + unit + " (rw-r--r--)",
                "user     admin", "sudo systemctl link " + unit, "sudo systemctl enable --now sallyport");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        assertThat(Files.list(prefix.resolve("etc/sallyport"))).containsExactly(config); // no temporary left
        Matcher password = PASSWORD.matcher(run.out());
        assertThat(password.find()).isTrue();
        assertThat(Files.readString(config)).contains("user.admin=pbkdf2-sha256$", "deny-private=true",
                "allow-open-proxy=false", "socks5=0", "# Where to listen").doesNotContain(password.group(1));

        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start(PRODUCT_LOGGING, "serve", "--config", config.toString(),
                     "--allow", "127.0.0.1/32")) {
            // (--allow: deny-private refuses the loopback echo server otherwise.)
            List<ServerProcess.Listening> listening = server.awaitReady();
            assertThat(listening).extracting(ServerProcess.Listening::protocol).containsExactly("socks5");
            try (Socks5Client client = Socks5Client.open(listening.get(0).address())) {
                assertThat(client.login("admin", "wrong")).isNotZero();
            }
            try (Socks5Client client = Socks5Client.open(listening.get(0).address())) {
                assertThat(client.login("admin", password.group(1))).isZero();
                assertThat(client.connect(echo.address()).succeeded()).isTrue();
                byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
                assertThat(client.exchange(ping)).isEqualTo(ping);
            }
        }
    }

    @Test
    void install_existingFile_exitsTwoNamingIt_andWritesNothing(@TempDir Path prefix) throws Exception {
        Path unit = prefix.resolve("etc/systemd/system/sallyport.service");
        Files.createDirectories(unit.getParent());
        Files.writeString(unit, "mine\n");
        Run run = install("--protocol", "http", "--prefix", prefix.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains(unit + " exists", "--force");
        assertThat(prefix.resolve("etc/sallyport")).doesNotExist();
        assertThat(Files.readString(unit)).isEqualTo("mine\n");

        Run forced = install("--protocol", "http", "--prefix", prefix.toString(), "--force");
        assertThat(forced.exit()).as(forced.err()).isZero();
        assertThat(Files.readString(unit)).contains("ExecReload=/bin/kill -HUP $MAINPID");
    }

    @Test
    void install_dryRun_printsTheFiles_andWritesNothing(@TempDir Path prefix) {
        Run run = install("--protocol", "both", "--compose", "--dry-run", "--prefix", prefix.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("# would write " + prefix.resolve("etc/sallyport/sallyport.conf"),
                "socks5=1080", "http=8080", "user.admin=<hash of the password generated at install>", "NoNewPrivileges=yes",
                "# would write " + prefix.resolve("etc/sallyport/compose.yaml"), "- \"1080:1080\"", "- \"8080:8080\"")
                .doesNotContainPattern("(?m)^password ");
        assertThat(prefix).isEmptyDirectory();
    }

    @Test
    void install_unit_isHardened_andPassesSystemdAnalyzeWhereAvailable(@TempDir Path prefix) throws Exception {
        Run run = install("--protocol", "mixed", "--port", "443", "--jdbc-url", "jdbc:postgresql://db.internal/sallyport",
                "--prefix", prefix.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        Path unit = prefix.resolve("etc/systemd/system/sallyport.service");
        String text = Files.readString(unit);
        assertThat(text).contains("User=sallyport", "NoNewPrivileges=yes", "ProtectSystem=strict",
                "ReadWritePaths=/var/lib/sallyport", "LimitNOFILE=65536", "Restart=on-failure",
                "ExecReload=/bin/kill -HUP $MAINPID", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                "serve --config " + prefix.resolve("etc/sallyport/sallyport.conf"));
        String config = Files.readString(prefix.resolve("etc/sallyport/sallyport.conf"));
        assertThat(config).contains("mixed=443", "jdbc-url=jdbc:postgresql://db.internal/sallyport",
                "spool-dir=/var/lib/sallyport/spool").doesNotContain("user.admin");
        assertThat(run.out()).contains("users add admin --jdbc-url").doesNotContainPattern("(?m)^password ");

        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assumeTrue(Files.isExecutable(analyze), "systemd-analyze is not installed");
        Process verify = new ProcessBuilder(analyze.toString(), "verify", unit.toString()).redirectErrorStream(true).start();
        assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String report = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // Only complaints about this unit count (the host's own units may have theirs).
        assertThat(report.lines().filter(line -> line.contains("sallyport.service"))).as(report).isEmpty();
    }

    @Test
    void install_badInput_exitsTwoNamingTheFlag(@TempDir Path prefix) {
        assertThat(install("--protocol", "ftp", "--prefix", prefix.toString()))
                .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
                .satisfies(r -> assertThat(r.err()).contains("--protocol: 'ftp' (expected: http, socks5, both or mixed)"));
        assertThat(install("--protocol", "http", "--port", "70000", "--prefix", prefix.toString()).err())
                .contains("--port: 70000 (expected: 0-65535)");
        assertThat(install("--protocol", "http", "--first-user", "a\u0007b", "--prefix", prefix.toString()).err())
                .contains("--first-user: name:");
        // user.ops=x=HASH would be the user ops with the password x=HASH, readable in the file.
        assertThat(install("--protocol", "http", "--first-user", "ops=x", "--prefix", prefix.toString()))
                .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
                .satisfies(r -> assertThat(r.err()).contains("--first-user: 'ops=x' (expected: no '='"));
        assertThat(prefix).isEmptyDirectory();
    }
}

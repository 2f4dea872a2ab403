package dev.sallyport.server;

import dev.sallyport.api.PasswordHashes;
import dev.sallyport.testkit.Socks5Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.sallyport.server.ServeReloadTest.privateFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Passwords reach {@code serve} without being on its command line: from {@code --user-file}
 * (plaintext or hash), from {@code SALLYPORT_USER_<NAME>}, from standard input; what {@code ps}
 * shows ({@code /proc/PID/cmdline}) then holds no password, and {@code --user NAME:PASSWORD}
 * still works with one WARN.
 */
@Timeout(120)
class ServeSecretsTest {

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private ServerProcess serve(Map<String, String> env, String... args) throws Exception {
        ServerProcess server = ServerProcess.start(ServeReloadTest.PRODUCT_LOGGING, builder -> builder.environment().putAll(env), args);
        open.add(server);
        return server;
    }

    private static int login(InetSocketAddress proxy, String user, String password) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy)) {
            return client.login(user, password);
        }
    }

    /** The process's argv as {@code ps} shows it. */
    private static String commandLine(ServerProcess server) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(server.process.pid()), "cmdline")),
                StandardCharsets.UTF_8).replace('\0', ' ');
    }

    @Test
    void userFile_plainAndHashedPasswords_logIn_andTheCommandLineHoldsNoPassword(@TempDir Path dir) throws Exception {
        Path users = privateFile(dir.resolve("users"), "# comment\n\nalice:a-pw:with-colon\nhank:"
                + PasswordHashes.hash("h-pw") + "\n");
        ServerProcess server = serve(Map.of(), "serve", "--socks5", "0", "--user-file", users.toString());
        InetSocketAddress proxy = server.awaitReady().get(0).address();

        assertThat(login(proxy, "alice", "a-pw:with-colon")).isZero();
        assertThat(login(proxy, "hank", "h-pw")).isZero();
        assertThat(login(proxy, "hank", PasswordHashes.hash("h-pw"))).isNotZero();
        assertThat(commandLine(server)).contains("--user-file").doesNotContain("a-pw", "h-pw", "pbkdf2");
        assertThat(server.stderr()).doesNotContain("a-pw", "pbkdf2", "/proc/PID/cmdline");
    }

    @Test
    void userNameAlone_takesThePasswordFromTheEnvironment_nameMangled(@TempDir Path dir) throws Exception {
        ServerProcess server = serve(Map.of("SALLYPORT_USER_bob_2Esmith", "b-pw", "SALLYPORT_USER_alice", "a-pw"),
                "serve", "--socks5", "0", "--user", "bob.smith", "--user", "alice");
        InetSocketAddress proxy = server.awaitReady().get(0).address();

        assertThat(login(proxy, "bob.smith", "b-pw")).isZero();
        assertThat(login(proxy, "alice", "a-pw")).isZero();
        assertThat(login(proxy, "alice", "b-pw")).isNotZero();
        assertThat(commandLine(server)).doesNotContain("a-pw", "b-pw");
    }

    @Test
    void userFileDash_readsTheUsersFromStandardInput() throws Exception {
        ServerProcess server = serve(Map.of(), "serve", "--socks5", "0", "--user-file", "-");
        try (OutputStream stdin = server.process.getOutputStream()) {
            stdin.write("carol:c-pw\n".getBytes(StandardCharsets.UTF_8));
        }
        InetSocketAddress proxy = server.awaitReady().get(0).address();

        assertThat(login(proxy, "carol", "c-pw")).isZero();
        assertThat(commandLine(server)).doesNotContain("c-pw");
    }

    @Test
    void passwordOnTheCommandLine_stillWorks_withOneWarningThatNamesNoPassword() throws Exception {
        ServerProcess server = serve(Map.of(), "serve", "--socks5", "0", "--user", "alice:a-pw", "--user", "bob:b-pw");
        InetSocketAddress proxy = server.awaitReady().get(0).address();

        assertThat(login(proxy, "alice", "a-pw")).isZero();
        List<String> warnings = server.stderr().lines().filter(l -> l.contains("/proc/PID/cmdline")).toList();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("WARN", "--user-file").doesNotContain("a-pw", "b-pw");
    }

    @Test
    void userFile_readableByOthers_isRefusedWithExitTwo(@TempDir Path dir) throws Exception {
        Path users = Files.writeString(dir.resolve("users"), "alice:a-pw\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-r--r--"));
        ServerProcess server = serve(Map.of(), "serve", "--socks5", "0", "--user-file", users.toString());

        assertThat(server.awaitExit()).isEqualTo(2);
        assertThat(server.stderr()).contains("--user-file: " + users + " holds passwords and is readable by others")
                .contains("chmod 600").doesNotContain("a-pw");
    }

    @Test
    void userNameAlone_withoutAPassword_isAUsageErrorNamingTheVariable() throws Exception {
        ServerProcess server = serve(Map.of(), "serve", "--socks5", "0", "--user", "a_b");

        assertThat(server.awaitExit()).isEqualTo(2);
        assertThat(server.stderr()).contains("--user: a_b has no password (expected: NAME:PASSWORD, the environment "
                + "variable SALLYPORT_USER_a_5Fb, or a line a_b:PASSWORD in --user-file)");
    }

    @Test
    void userFile_badLines_areRefusedNamingTheLineNotTheSecret() {
        CommandLine line = new CommandLine(new ServeCommand());
        assertThatThrownBy(() -> SecretFlags.parse(List.of("alice:a-pw", "secret-without-colon"), "--user-file: f",
                m -> new CommandLine.ParameterException(line, m)))
                .hasMessage("--user-file: f line 2: no ':' (expected: NAME:PASSWORD or NAME:HASH)");
        assertThatThrownBy(() -> SecretFlags.parse(List.of("alice:a-pw", "", "alice:b-pw"), "--user-file: f",
                m -> new CommandLine.ParameterException(line, m)))
                .hasMessage("--user-file: f line 3: user alice again, first on line 1 (expected: each user once)");
        assertThatThrownBy(() -> SecretFlags.parse(List.of("bob:"), "--user-file: f",
                m -> new CommandLine.ParameterException(line, m)))
                .hasMessage("--user-file: f line 1: no password (expected: NAME:PASSWORD or NAME:HASH)");
    }

    @Test
    void envName_keepsLettersAndDigits_andEscapesEveryOtherByte() {
        assertThat(SecretFlags.envName("alice")).isEqualTo("SALLYPORT_USER_alice");
        assertThat(SecretFlags.envName("Bob7")).isEqualTo("SALLYPORT_USER_Bob7");
        assertThat(SecretFlags.envName("a_b")).isEqualTo("SALLYPORT_USER_a_5Fb");
        assertThat(SecretFlags.envName("a-b.c")).isEqualTo("SALLYPORT_USER_a_2Db_2Ec");
        assertThat(SecretFlags.envName("zoë")).isEqualTo("SALLYPORT_USER_zo_C3_AB");
    }
}

package dev.sallyport.server;

import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The standalone server takes all four SPIs from providers named in its config file
 * ({@code auth-provider=NAME}, {@code auth.KEY=VALUE}, and likewise rule, metrics and pool),
 * found on the class path through {@code META-INF/services} ({@link TestProviders}), and closes
 * them when it stops. Misnamed providers and orphan settings are usage errors naming the flag.
 */
@Timeout(120)
class ProvidersFromConfigFileTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void posix() {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    }

    private Path config(String permissions, String... lines) throws IOException {
        Path file = Files.writeString(dir.resolve("sallyport.properties"), String.join("\n", lines) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static ServeCommand parse(String... args) throws ConfigFile.UsageException {
        CommandLine line = new CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
        return (ServeCommand) line.parseArgs(ConfigFile.expand(args)).subcommand().commandSpec().userObject();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    private static int login(InetSocketAddress proxy, String password) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy)) {
            return client.login("carol", password);
        }
    }

    private static int connect(InetSocketAddress proxy, int port) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy)) {
            assertThat(client.login("carol", "pw-carol")).isZero();
            return client.connect("127.0.0.1", port).rep();
        }
    }

    @Test
    void serve_configNamingAllFourProviders_usesThemForTraffic_andClosesThemOnSigterm() throws Exception {
        Path events = dir.resolve("events.log");
        int unreachable = closedPort();
        int denied = closedPort();
        try (TcpServer echo = TcpServer.echo()) {
            Path config = config("rw-------", "socks5=0",
                    "auth-provider=test-auth", "auth.user=carol", "auth.password=pw-carol", "auth.file=" + events,
                    "rule-provider=test-deny-port", "rule.port=" + denied, "rule.file=" + events,
                    "metrics-provider=test-file-sink", "metrics.file=" + events,
                    "pool-provider=test-redirect-pool", "pool.to=" + echo.port(), "pool.file=" + events);
            try (ServerProcess server = ServerProcess.start("serve", "--config", config.toString())) {
                InetSocketAddress socks = server.awaitReady().get(0).address();

                assertThat(login(socks, "wrong")).as("auth provider refuses").isNotZero();
                // Nothing listens on `unreachable`: the tunnel works only because the pool dials the echo server.
                try (Socks5Client client = Socks5Client.open(socks)) {
                    assertThat(client.login("carol", "pw-carol")).as("auth provider accepts").isZero();
                    assertThat(client.connect("127.0.0.1", unreachable).rep()).isZero();
                    client.out().write(7);
                    assertThat(client.in().read()).isEqualTo(7);
                }
                assertThat(connect(socks, denied)).as("rule provider denies").isEqualTo(0x02);

                await().atMost(Duration.ofSeconds(10)).until(() -> lines(events).containsAll(List.of(
                        "metrics session OK " + unreachable, "metrics session DENIED " + denied)));
                assertThat(lines(events)).contains("pool acquire 127.0.0.1:" + unreachable)
                        .doesNotContain("pool acquire 127.0.0.1:" + denied)
                        .noneMatch(line -> line.endsWith("closed"));
                assertThat(echo.connections()).hasSize(1);
                assertThat(server.stderr()).doesNotContain("pw-carol");

                server.process.destroy(); // SIGTERM
                assertThat(server.awaitExit()).isZero();
            }
            assertThat(lines(events)).contains("auth closed", "rule closed", "metrics closed", "pool closed");
        }
    }

    @Test
    void configKeys_becomeTheProviderFlags() throws Exception {
        Path config = config("rw-------", "rule-provider=test-deny-port", "rule.port=25", "rule.file=/tmp/x",
                "pool-provider=test-redirect-pool");
        ServeCommand serve = parse("serve", "--config", config.toString());

        assertThat(serve.providers.ruleProvider).isEqualTo("test-deny-port");
        assertThat(serve.providers.ruleSettings).isEqualTo(Map.of("port", "25", "file", "/tmp/x"));
        assertThat(serve.providers.poolProvider).isEqualTo("test-redirect-pool");
        assertThat(serve.providers.poolSettings).isEmpty();
        Map<String, Object> described = new LinkedHashMap<>();
        serve.providers.describe(described);
        assertThat(described).containsExactly(Map.entry("rule-provider", "test-deny-port"),
                Map.entry("rule-settings", new java.util.TreeSet<>(List.of("file", "port"))),
                Map.entry("pool-provider", "test-redirect-pool"));
    }

    @Test
    void unknownProviderName_isAUsageErrorNamingTheFlagAndTheProvidersFound() throws Exception {
        ServeCommand serve = parse("serve", "--socks5", "0", "--pool-provider", "upstream");
        assertThatThrownBy(() -> serve.start(null, null)).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--pool-provider: no provider named 'upstream' on the class path (expected one of: "
                        + "[test-redirect-pool])");
    }

    @Test
    void settingWithoutItsProvider_isAUsageError() throws Exception {
        Path config = config("rw-------", "socks5=0", "metrics.file=/tmp/x");
        ServeCommand serve = parse("serve", "--config", config.toString());
        assertThatThrownBy(() -> serve.start(null, null)).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--metrics-setting: needs --metrics-provider NAME");
    }

    @Test
    void authProviderWithInMemoryUsers_isAUsageError() throws Exception {
        ServeCommand serve = parse("serve", "--socks5", "0", "--user", "alice:pw", "--auth-provider", "test-auth");
        assertThatThrownBy(() -> serve.start(null, null)).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageStartingWith("--auth-provider: cannot be combined with --user");
    }

    @Test
    void providerSettingsInAFileOthersMayRead_areRefusedLikePasswords() throws Exception {
        Path config = config("rw-r--r--", "socks5=0", "auth-provider=test-auth", "auth.password=s3cret");
        assertThatThrownBy(() -> parse("serve", "--config", config.toString()).preflight())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--config: " + config + " holds provider settings (possibly credentials) and is readable by "
                        + "others (rw-r--r--) (expected: chmod 600 " + config + ", or --allow-insecure-config)");
        parse("serve", "--config", config.toString(), "--allow-insecure-config").preflight();
        parse("serve", "--config", config("rw-r--r--", "socks5=0", "rule-provider=test-deny-port").toString()).preflight();
    }
}

package dev.sallyport.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the standalone server exposes and reads: the metrics port (loopback unless told, never
 * stalled by a slow client, never a proxy target, optionally behind a token) and a config file
 * read as written and refused when others may read its passwords.
 */
@Timeout(120)
class ServeSurfaceTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @BeforeAll
    static void posix() {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    }

    private Path file(String name, String permissions, String... lines) throws IOException {
        Path file = Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static ServeCommand parse(String... args) throws ConfigFile.UsageException {
        CommandLine line = new CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
        return (ServeCommand) line.parseArgs(ConfigFile.expand(args)).subcommand().commandSpec().userObject();
    }

    private static int get(String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static ServerProcess.Listening metricsOf(List<ServerProcess.Listening> listening) {
        return listening.stream().filter(l -> l.protocol().equals("metrics")).findFirst().orElseThrow();
    }

    // ---- the metrics port ----

    @Test
    void metrics_halfARequestHeldOpen_healthAndMetricsStillAnswer() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0")) {
            InetSocketAddress metrics = metricsOf(server.awaitReady()).address();
            String base = "http://127.0.0.1:" + metrics.getPort();
            try (Socket stalled = new Socket(metrics.getAddress(), metrics.getPort())) {
                stalled.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                stalled.getOutputStream().flush();
                assertThat(get(base + "/health", null)).isEqualTo(200);
                assertThat(get(base + "/metrics", null)).isEqualTo(200);
            }
        }
    }

    @Test
    void metrics_listensOnLoopback_whereverTheProxyListens() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--bind", "127.0.0.2", "--socks5", "0", "--metrics", "0")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            assertThat(listening.get(0).line()).startsWith("listening socks5 127.0.0.2:");
            assertThat(metricsOf(listening).line()).matches("listening metrics 127\\.0\\.0\\.1:[1-9][0-9]*");
        }
    }

    @Test
    void metricsPort_isNotAProxyTarget() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            InetSocketAddress metrics = metricsOf(listening).address();
            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, listening.get(0).address()))) {
                assertThatThrownBy(() -> tunnel.connect(metrics, 5000))
                        .isInstanceOf(SocketException.class).hasMessageContaining("not allowed by ruleset");
            }
            try (ServerSocket other = new ServerSocket(0, 1, metrics.getAddress());
                 Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, listening.get(0).address()))) {
                tunnel.connect(other.getLocalSocketAddress(), 5000);
                assertThat(tunnel.isConnected()).as("another port of the same host").isTrue();
            }
        }
    }

    @Test
    void metrics_ownBindAddressAndToken() throws Exception {
        Path token = file("metrics.token", "rw-------", "t0ken");
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0", "--metrics-bind",
                "127.0.0.3", "--metrics-token-file", token.toString())) {
            ServerProcess.Listening metrics = metricsOf(server.awaitReady());
            assertThat(metrics.line()).startsWith("listening metrics 127.0.0.3:");
            String base = "http://127.0.0.3:" + metrics.address().getPort();
            assertThat(get(base + "/metrics", null)).isEqualTo(401);
            assertThat(get(base + "/metrics", "Bearer t0ken")).isEqualTo(200);
            assertThat(get(base + "/health", null)).isEqualTo(200);
        }
    }

    @Test
    void metricsFlags_withoutMetrics_orAnUnreadableToken_areUsageErrors() throws Exception {
        assertThatThrownBy(() -> parse("serve", "--metrics-bind", "0.0.0.0").preflight())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessage("--metrics-bind: needs --metrics PORT");
        assertThatThrownBy(() -> parse("serve", "--metrics", "0", "--metrics-bind", "metrics.example").preflight())
                .hasMessageStartingWith("--metrics-bind: 'metrics.example' (expected: an IP address");
        Path open = file("open.token", "rw-r--r--", "t0ken");
        assertThatThrownBy(() -> parse("serve", "--metrics", "0", "--metrics-token-file", open.toString()).preflight())
                .hasMessage("--metrics-token-file: " + open + " holds the metrics token and is readable by others (rw-r--r--) "
                        + "(expected: chmod 600 " + open + ", or --allow-insecure-config)");
        Path empty = file("empty.token", "rw-------", "");
        assertThatThrownBy(() -> parse("serve", "--metrics", "0", "--metrics-token-file", empty.toString()).preflight())
                .hasMessage("--metrics-token-file: " + empty + " (expected: one token, no white space inside)");
    }

    // ---- the config file ----

    @Test
    void configFile_backslashesInAPassword_logInAsWritten() throws Exception {
        Path config = file("raw.properties", "rw-------", "http=0", "user.alice=pa\\ss\\word");
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             ServerProcess server = ServerProcess.start("serve", "--config", config.toString())) {
            InetSocketAddress http = server.awaitReady().get(0).address();
            String connect = "CONNECT 127.0.0.1:" + target.getLocalPort() + " HTTP/1.1\r\nProxy-Authorization: Basic ";
            assertThat(statusLine(http, connect + basic("alice:password") + "\r\n\r\n")).contains(" 407 ");
            assertThat(statusLine(http, connect + basic("alice:pa\\ss\\word") + "\r\n\r\n")).contains(" 200 ");
        }
    }

    private static String basic(String credentials) {
        return Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    private static String statusLine(InetSocketAddress proxy, String request) throws IOException {
        try (Socket socket = new Socket(proxy.getAddress(), proxy.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
                line.append((char) b);
            }
            return line.toString();
        }
    }

    @Test
    void configFile_trailingBackslash_isRefusedNamingTheLine_notJoinedToTheNext() throws Exception {
        Path config = file("continued.properties", "rw-------", "socks5=0", "user.bob=hunter2\\", "metrics=0");
        assertThatThrownBy(() -> parse("serve", "--config", config.toString()))
                .isInstanceOf(ConfigFile.UsageException.class)
                .hasMessage("--config: " + config + " line 2: key 'user.bob' ends with a backslash (expected: one setting "
                        + "per line; values are read as written, so a backslash does not continue a line)");
    }

    @Test
    void configFile_keyWithASpace_isRefusedNamingTheLine_notTruncated() throws Exception {
        Path config = file("spaced.properties", "rw-------", "socks5=0", "user.al ice=x");
        assertThatThrownBy(() -> parse("serve", "--config", config.toString()))
                .isInstanceOf(ConfigFile.UsageException.class)
                .hasMessage("--config: " + config + " line 2: key 'user.al ice' (expected: a key without spaces, then =)");
    }

    @Test
    void configFile_withPasswords_thatOthersMayReadOrWrite_isRefusedUnlessAllowed() throws Exception {
        for (String permissions : new String[] {"rw-r--r--", "rw-rw----", "rw-----w-"}) {
            Path config = file("users-" + permissions + ".properties", permissions, "socks5=0", "user.alice=s3cret");
            assertThatThrownBy(() -> parse("serve", "--config", config.toString()).preflight())
                    .as(permissions).isInstanceOf(CommandLine.ParameterException.class)
                    .hasMessageStartingWith("--config: " + config + " holds passwords and is ")
                    .hasMessageEndingWith("(expected: chmod 600 " + config + ", or --allow-insecure-config)")
                    .hasMessageNotContaining("s3cret");
            parse("serve", "--config", config.toString(), "--allow-insecure-config").preflight();
        }
        parse("serve", "--config", file("group-read.properties", "rw-r-----", "user.alice=s3cret").toString()).preflight();
        parse("serve", "--config", file("jdbc.properties", "rw-------", "jdbc-password=s3cret").toString()).preflight();
        parse("serve", "--config", file("no-secrets.properties", "rw-rw-rw-", "socks5=0").toString()).preflight();
        assertThatThrownBy(() -> parse("serve", "--config", file("jdbc-open.properties", "rw-r--r--", "jdbc-password=x")
                .toString()).preflight()).hasMessageContaining("holds passwords and is readable by others (rw-r--r--)");
    }

    @Test
    void configFile_withPasswordsReadableByOthers_exitsTwo() throws Exception {
        Path config = file("open.properties", "rw-r--r--", "socks5=0", "user.alice=s3cret");
        try (ServerProcess server = ServerProcess.start("serve", "--config", config.toString())) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--config: " + config + " holds passwords and is readable by others")
                    .doesNotContain("s3cret");
        }
    }
}

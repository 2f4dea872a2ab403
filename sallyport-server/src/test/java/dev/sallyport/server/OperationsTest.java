package dev.sallyport.server;

import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Metrics endpoint, health while draining, config file equivalence, version and status. */
@Timeout(120)
class OperationsTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsEndpoint_servesPrometheusText_andHealthFlipsTo503WhileDraining() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            assertThat(listening).extracting(ServerProcess.Listening::protocol).containsExactly("socks5", "metrics");
            String base = "http://127.0.0.1:" + listening.get(1).address().getPort();

            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, listening.get(0).address()))) {
                tunnel.connect(echo.address(), 5000);
                tunnel.getOutputStream().write("0123456789".getBytes(StandardCharsets.US_ASCII));
                assertThat(tunnel.getInputStream().readNBytes(10)).hasSize(10);

                HttpResponse<String> metrics = get(base + "/metrics");
                assertThat(metrics.statusCode()).isEqualTo(200);
                List<StatusCommand.Sample> samples = StatusCommand.parse(metrics.body());
                assertThat(samples).extracting(StatusCommand.Sample::name).contains(
                        "proxy_connections_accepted_total", "proxy_connections_active", "proxy_bytes_total",
                        "proxy_handshake_duration_seconds_count", "proxy_connect_duration_seconds_bucket", "proxy_listener",
                        "proxy_buffer_pending_bytes");
                assertThat(samples).anySatisfy(s -> {
                    assertThat(s.name()).isEqualTo("proxy_connections_active");
                    assertThat(s.labels()).containsEntry("protocol", "socks5");
                    assertThat(s.value()).isEqualTo(1.0);
                });
                assertThat(get(base + "/health").statusCode()).isEqualTo(200);

                server.process.destroy(); // SIGTERM: the open tunnel keeps the server draining
                int status = 200;
                for (int i = 0; i < 500 && status == 200; i++) {
                    status = get(base + "/health").statusCode();
                }
                assertThat(status).isEqualTo(503);
                // The tunnel still works while draining.
                tunnel.getOutputStream().write("abc".getBytes(StandardCharsets.US_ASCII));
                assertThat(tunnel.getInputStream().readNBytes(3)).isEqualTo("abc".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(server.awaitExit()).isZero();
        }
    }

    @Test
    void configFile_andEquivalentFlags_giveTheSameEffectiveConfiguration(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sallyport.properties");
        Files.writeString(file, String.join("\n", "bind=127.0.0.1", "socks5=1081", "http=8081", "metrics=9091",
                "log-level=DEBUG", "access-log=false", "user.alice=s3cret", "user.bob=pa:ss", "deny-private=true",
                "allow=10.1.2.3/32, 10.9.0.0/16", "allow-ports=80,443", "bandwidth=10M", "max-sessions-per-user=4",
                "max-clients-per-ip=8", ""));
        String fromFile = effective("serve", "--config", file.toString());
        String fromFlags = effective("serve", "--bind", "127.0.0.1", "--socks5", "1081", "--http", "8081",
                "--metrics", "9091", "--log-level", "DEBUG", "--no-access-log", "--user", "alice:s3cret", "--user", "bob:pa:ss",
                "--deny-private", "--allow", "10.1.2.3/32", "--allow", "10.9.0.0/16", "--allow-ports", "80,443",
                "--bandwidth", "10M", "--max-sessions-per-user", "4", "--max-clients-per-ip", "8");
        assertThat(fromFile).isEqualTo(fromFlags)
                .isEqualTo("bind=127.0.0.1 socks5=1081 http=8081 mixed=- tls-cert=- users=[alice:***, bob:***] allow-open-proxy=false "
                        + "jdbc-url=- jdbc-user=- allow-ports=80,443 allow=[10.1.2.3/32, 10.9.0.0/16] deny=[] deny-private=true "
                        + "bandwidth=10M max-sessions-per-user=4 max-clients-per-ip=8 metrics=9091 log-level=debug access-log=false");
        // Flags override the file.
        assertThat(effective("serve", "--config", file.toString(), "--socks5", "2000", "--user", "carol:x"))
                .contains("socks5=2000").contains("users=[carol:***]");
    }

    @Test
    void configFile_unknownKey_exitsTwoNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "sock5=1080\n");
        try (ServerProcess server = ServerProcess.start("serve", "--config", file.toString())) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--config: unknown key 'sock5'");
        }
    }

    private static String effective(String... args) throws Exception {
        CommandLine line = new CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
        CommandLine.ParseResult result = line.parseArgs(ConfigFile.expand(args));
        ServeCommand serve = (ServeCommand) result.subcommand().commandSpec().userObject();
        return serve.effectiveConfiguration();
    }

    @Test
    void version_printsTheVersion() throws Exception {
        try (ServerProcess process = ServerProcess.start("version")) {
            assertThat(process.nextLine()).startsWith("sallyport ");
            assertThat(process.awaitExit()).isZero();
        }
    }

    @Test
    void status_unreachableServer_exitsOne() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (ServerProcess process = ServerProcess.start("status", "--metrics-url", "http://127.0.0.1:" + closedPort + "/metrics")) {
            assertThat(process.awaitExit()).isEqualTo(1);
            assertThat(process.stderr()).startsWith("sallyport: status: cannot read");
        }
    }

    @Test
    void status_rendersATableFromPrometheusText() {
        String text = """
                # HELP proxy_listener 1 while the listener accepts
                proxy_listener{address="127.0.0.1:1080",protocol="socks5"} 1.0
                proxy_connections_active{protocol="socks5"} 3.0
                proxy_connections_accepted_total{protocol="socks5"} 10.0
                proxy_sessions_total{command="connect",outcome="ok",protocol="socks5"} 7.0
                proxy_bytes_total{direction="up",protocol="socks5"} 2048.0
                proxy_bytes_total{direction="down",protocol="socks5"} 3145728.0
                proxy_rejections_total{reason="rule"} 2.0
                """;
        assertThat(StatusCommand.render(StatusCommand.parse(text)))
                .contains("socks5     127.0.0.1:1080           yes")
                .contains("socks5            3         10          7      2.0 KiB      3.0 MiB")
                .contains("REJECTIONS    rule=2");
    }

    @Test
    void dockerEntrypointCommand_startsOnAllInterfacesWithAUser() throws Exception {
        // No container engine here: run the image's exact ENTRYPOINT arguments against the jar's main class.
        String dockerfile = Files.readString(Path.of("docker", "Dockerfile"));
        assertThat(dockerfile).contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/sallyport/sallyport.jar\", \"serve\", \"--bind\", \"0.0.0.0\"]")
                .contains("USER sallyport").contains("EXPOSE 1080 8080");
        try (TcpServer echo = TcpServer.echo();
             // The echo server is on loopback, which a bind beyond loopback denies as a target unless allowed.
             ServerProcess server = ServerProcess.start("serve", "--bind", "0.0.0.0", "--socks5", "0", "--user", "alice:s3cret",
                     "--allow", "127.0.0.1/32")) {
            ServerProcess.Listening socks = server.awaitReady().get(0);
            assertThat(socks.line()).matches("listening socks5 0\\.0\\.0\\.0:[1-9][0-9]*");
            InetSocketAddress viaLoopback = new InetSocketAddress("127.0.0.1", socks.address().getPort());
            java.net.Authenticator.setDefault(new java.net.Authenticator() {
                @Override
                protected java.net.PasswordAuthentication getPasswordAuthentication() {
                    return new java.net.PasswordAuthentication("alice", "s3cret".toCharArray());
                }
            });
            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, viaLoopback))) {
                tunnel.connect(echo.address(), 5000);
                tunnel.getOutputStream().write(1);
                assertThat(tunnel.getInputStream().read()).isEqualTo(1);
            } finally {
                java.net.Authenticator.setDefault(null);
            }
        }
    }
}

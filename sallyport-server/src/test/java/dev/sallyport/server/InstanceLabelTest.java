package dev.sallyport.server;

import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --instance NAME}: on every exported series as {@code sallyport_instance}, and in the log at start. */
@Timeout(120)
class InstanceLabelTest {

    /** The server's own logback.xml (INFO on stderr), not the tests' (WARN on stdout). */
    private static final List<String> PRODUCT_LOGGING = List.of("-Dlogback.configurationFile="
            + java.nio.file.Path.of("target", "classes", "logback.xml").toAbsolutePath());
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String metrics(String base) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    @Test
    void instance_isALabelOfEverySeries_andNamedInTheLogAtStart() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start(PRODUCT_LOGGING,
                     "serve", "--socks5", "0", "--metrics", "0", "--instance", "edge-7")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            String base = "http://127.0.0.1:" + listening.get(1).address().getPort();
            try (Socket tunnel = new Socket(new Proxy(Proxy.Type.SOCKS, listening.get(0).address()))) {
                tunnel.connect(echo.address(), 5000);
                tunnel.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                assertThat(tunnel.getInputStream().readNBytes(4)).hasSize(4);
            }
            String text = metrics(base);

            List<StatusCommand.Sample> samples = StatusCommand.parse(text);
            assertThat(samples).extracting(StatusCommand.Sample::name)
                    .contains("proxy_connections_accepted_total", "proxy_sessions_total", "proxy_bytes_total",
                            "proxy_listener", "proxy_buffer_pending_bytes");
            assertThat(samples).allSatisfy(s -> assertThat(s.labels()).containsEntry("sallyport_instance", "edge-7"));
            long series = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count();
            assertThat(samples).as("every series line was parsed").hasSize((int) series);
            assertThat(server.stderr()).contains("Starting instance edge-7");
        }
    }

    @Test
    void instance_withABlank_isAUsageError() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--instance", "edge 7")) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--instance: 'edge 7' (expected: 1-128 letters, digits, '.', '_', ':' or '-')");
        }
    }

    @Test
    void instance_default_isTheHostName() {
        String name = Monitoring.instance(null);

        assertThat(Monitoring.validInstance(name)).isTrue();
        String hostname = System.getenv("HOSTNAME");
        if (hostname != null && Monitoring.validInstance(hostname.strip())) {
            assertThat(name).isEqualTo(hostname.strip());
        }
        assertThat(Monitoring.instance("given")).isEqualTo("given");
    }

    @Test
    void configFile_instanceKey_isTheFlag(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("sallyport.properties");
        java.nio.file.Files.writeString(file, "instance=edge-9\n");

        assertThat(List.of(ConfigFile.expand(new String[] {"serve", "--config", file.toString()})))
                .containsSubsequence("--instance", "edge-9");
    }
}

package dev.sallyport.server;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real nginx from the distribution's packages ({@code apt-get install nginx-light}) in front of
 * a file, asking {@code serve --forward-auth} through {@code auth_request}, configured as the
 * README shows. Skipped when nginx is not installed.
 */
@Timeout(120)
class ForwardAuthNginxTest {

    private static final List<Path> NGINX = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx"),
            Path.of("/usr/local/sbin/nginx"));

    private static Path nginx() {
        return NGINX.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void nginxAuthRequest_letsAliceThrough_withHerName_andAsksStrangersToLogIn() throws Exception {
        Path nginx = nginx();
        Assumptions.assumeTrue(nginx != null, "nginx is not installed: skipping (apt-get install nginx-light to run it)");
        Path dir = Files.createTempDirectory("nginx");
        Files.createDirectories(dir.resolve("html"));
        Files.writeString(dir.resolve("html/index.html"), "the private page\n");
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--user", "alice:s3cret",
                "--metrics", "0", "--forward-auth", "--forward-auth-trusted", "127.0.0.1/32")) {
            // As the README says for nginx on the same host: trusted, so that its X-Forwarded-For names the client.
            int metrics = ForwardAuthServeTest.listener(server.awaitReady(), "metrics").address().getPort();
            int port = freePort();
            Files.writeString(dir.resolve("nginx.conf"), config(dir, port, metrics));
            Process process = new ProcessBuilder(nginx.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            try {
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> accepts(port) || !process.isAlive());
                assertThat(process.isAlive()).as("nginx runs: %s", Files.readString(dir.resolve("stdout.log"))).isTrue();
                String page = "http://127.0.0.1:" + port + "/private/index.html";

                HttpResponse<String> alice = get(page, "Authorization", ForwardAuthServeTest.basic("alice:s3cret"));
                assertThat(alice.statusCode()).isEqualTo(200);
                assertThat(alice.body()).isEqualTo("the private page\n");
                assertThat(alice.headers().firstValue("X-User")).hasValue("alice");

                HttpResponse<String> wrong = get(page, "Authorization", ForwardAuthServeTest.basic("alice:guess"));
                assertThat(wrong.statusCode()).isEqualTo(401);
                assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                        value -> assertThat(value).startsWith("Basic realm=\"sallyport\""));
                assertThat(wrong.body()).doesNotContain("the private page");

                assertThat(get(page).statusCode()).isEqualTo(401);
            } finally {
                process.destroy();
                process.waitFor();
            }
        }
    }

    private static boolean accepts(int port) {
        try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static HttpResponse<String> get(String url, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The README's auth_request snippet around a file, in the foreground, writing only below {@code dir}. */
    private static String config(Path dir, int port, int metrics) {
        return """
                daemon off;
                master_process off;
                error_log DIR/error.log info;
                pid DIR/nginx.pid;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path DIR/client_body;
                    proxy_temp_path DIR/proxy;
                    fastcgi_temp_path DIR/fastcgi;
                    uwsgi_temp_path DIR/uwsgi;
                    scgi_temp_path DIR/scgi;
                    server {
                        listen 127.0.0.1:PORT;
                        location /private/ {
                            auth_request /_sallyport;
                            auth_request_set $sallyport_user $upstream_http_x_sallyport_user;
                            add_header X-User $sallyport_user always;
                            alias DIR/html/;
                        }
                        location = /_sallyport {
                            internal;
                            proxy_pass http://127.0.0.1:METRICS/auth;
                            proxy_method GET;
                            proxy_pass_request_body off;
                            proxy_set_header Content-Length "";
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        }
                    }
                }
                """.replace("DIR", dir.toString()).replace("METRICS", Integer.toString(metrics))
                .replace("PORT", Integer.toString(port));
    }
}

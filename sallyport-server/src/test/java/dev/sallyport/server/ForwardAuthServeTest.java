package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code serve --forward-auth}: /auth on the metrics port, with the proxy's own users and lockout. */
@Timeout(120)
class ForwardAuthServeTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    static ServerProcess.Listening listener(List<ServerProcess.Listening> listening, String protocol) {
        return listening.stream().filter(l -> l.protocol().equals(protocol)).findFirst().orElseThrow();
    }

    private static HttpResponse<String> send(InetSocketAddress metrics, String method, String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics.getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            request.headers(headers);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void auth_goodBadMethodsAndPaths_overHttp() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--http", "0", "--user", "alice:s3cret",
                "--metrics", "0", "--forward-auth")) {
            InetSocketAddress metrics = listener(server.awaitReady(), "metrics").address();

            HttpResponse<String> good = send(metrics, "GET", "/auth", "Authorization", basic("alice:s3cret"));
            assertThat(good.statusCode()).isEqualTo(200);
            assertThat(good.headers().firstValue("X-Sallyport-User")).hasValue("alice");

            HttpResponse<String> head = send(metrics, "HEAD", "/auth", "Authorization", "Bearer no-such-token");
            assertThat(head.statusCode()).isEqualTo(401);
            assertThat(head.body()).isEmpty();

            HttpResponse<String> bad = send(metrics, "GET", "/auth", "Authorization", basic("alice:nope"));
            assertThat(bad.statusCode()).isEqualTo(401);
            assertThat(bad.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
            assertThat(bad.headers().firstValue("X-Sallyport-User")).isEmpty();

            HttpResponse<String> post = send(metrics, "POST", "/auth", "Authorization", basic("alice:s3cret"));
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

            assertThat(send(metrics, "PUT", "/auth/envoy/items/1", "Authorization", basic("alice:s3cret")).statusCode())
                    .isEqualTo(200);
            assertThat(send(metrics, "GET", "/authz").statusCode()).isEqualTo(404);
            assertThat(send(metrics, "GET", "/health").statusCode()).as("the other endpoints still answer").isEqualTo(200);
            assertThat(send(metrics, "GET", "/metrics").body())
                    .contains("proxy_forward_auth_total{outcome=\"allowed\"")
                    .contains("proxy_forward_auth_total{outcome=\"denied\"");
        }
    }

    @Test
    void auth_withoutForwardAuth_isNotFound() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--user", "alice:s3cret", "--metrics", "0")) {
            InetSocketAddress metrics = listener(server.awaitReady(), "metrics").address();

            assertThat(send(metrics, "GET", "/auth", "Authorization", basic("alice:s3cret")).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void forwardAuth_fromTheConfigFile() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("fauth");
        java.nio.file.Path config = dir.resolve("sallyport.properties");
        java.nio.file.Files.writeString(config, "socks5=0\nmetrics=0\nforward-auth=true\nforward-auth-trusted=10.0.0.0/8\n"
                + "user.alice=s3cret\n");
        java.nio.file.Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (ServerProcess server = ServerProcess.start("serve", "--config", config.toString())) {
            InetSocketAddress metrics = listener(server.awaitReady(), "metrics").address();

            assertThat(send(metrics, "GET", "/auth", "Authorization", basic("alice:s3cret")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void forwardAuth_withoutMetrics_exitsTwo() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--user", "a:b", "--forward-auth")) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--forward-auth: needs --metrics PORT");
        }
    }

    @Test
    void forwardAuth_onAMetricsPortBeyondLoopback_withoutTrustedCallers_exitsTwo() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--user", "a:b", "--metrics", "0",
                "--metrics-bind", "0.0.0.0", "--forward-auth")) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--forward-auth: the metrics port listens on 0.0.0.0, beyond loopback "
                    + "(expected: --forward-auth-trusted CIDR,...");
        }
    }

    @Test
    void forwardAuthTrusted_badCidr_orWithoutForwardAuth_exitsTwo() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--user", "a:b", "--metrics", "0",
                "--forward-auth", "--forward-auth-trusted", "10.0.0.0/8,10.0.0.0/40")) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--forward-auth-trusted: '10.0.0.0/40' (expected: a prefix length 0-32)");
        }
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0",
                "--forward-auth-trusted", "10.0.0.0/8")) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--forward-auth-trusted: needs --forward-auth");
        }
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--user", "a:b", "--metrics", "0",
                "--forward-auth", "--forward-auth-trusted", "127.0.0.1/32,::/0")) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("--forward-auth-trusted: '::/0' trusts every caller");
        }
    }

    @Test
    void forwardAuth_withoutLogins_refusesToServe() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0", "--forward-auth")) {
            assertThat(server.awaitExit()).isNotZero();
            assertThat(server.stderr()).contains("--forward-auth: the proxy requires no login");
        }
    }

    // ---- curl ----

    private static Curl.Result curl(String... args) throws IOException, InterruptedException {
        return Curl.run(args);
    }

    @Test
    void curl_good200WithUser_bad401_andLockedOutByFailedProxyLogins429() throws Exception {
        ServeCommandTest.assumeCurl();
        try (ServerProcess server = ServerProcess.start("serve", "--http", "0", "--user", "alice:s3cret",
                "--metrics", "0", "--forward-auth")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            String auth = "http://127.0.0.1:" + listener(listening, "metrics").address().getPort() + "/auth";
            String proxy = "http://127.0.0.1:" + listener(listening, "http").address().getPort();

            Curl.Result good = curl("-i", "-u", "alice:s3cret", auth);
            assertThat(good.out()).startsWith("HTTP/1.1 200").containsIgnoringCase("x-sallyport-user: alice");

            Curl.Result bad = curl("-i", "-u", "alice:wrong", auth);
            assertThat(bad.out()).startsWith("HTTP/1.1 401").containsIgnoringCase("www-authenticate: Basic");

            // Wrong passwords through the HTTP proxy, all at once: the lockout is the proxy's own.
            List<Process> guesses = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                guesses.add(new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "--max-time", "20", "-x", proxy,
                        "--proxy-user", "alice:guess" + i, "http://127.0.0.1:9/").start());
            }
            for (Process guess : guesses) {
                assertThat(guess.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }

            Curl.Result locked = curl("-i", "-u", "alice:s3cret", auth);
            assertThat(locked.out()).startsWith("HTTP/1.1 429").containsIgnoringCase("retry-after: ")
                    .doesNotContainIgnoringCase("x-sallyport-user");
        }
    }
}

package dev.sallyport.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code serve --jdbc-url}: /health/ready follows PostgreSQL, /health/live does not. */
@Timeout(180)
class ReadinessJdbcTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedPostgres postgres(Path dir, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).setPort(port)
                .setServerConfig("listen_addresses", "127.0.0.1").setPGStartupWait(Duration.ofSeconds(60)).start();
    }

    private static int status(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void ready_turns503WhilePostgresIsDown_andBack_whileLiveStays200(@TempDir Path dir) throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false)
                .setServerConfig("listen_addresses", "127.0.0.1").setPGStartupWait(Duration.ofSeconds(60)).start();
        int port = pg.getPort();
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0",
                "--jdbc-url", "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "--jdbc-user", "postgres")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            String base = "http://127.0.0.1:" + listening.get(1).address().getPort();
            assertThat(status(base + "/health/ready")).isEqualTo(200);

            pg.close();
            await().atMost(Duration.ofSeconds(30)).until(() -> status(base + "/health/ready") == 503);
            assertThat(status(base + "/health/live")).isEqualTo(200);
            assertThat(status(base + "/health")).as("unchanged: serving").isEqualTo(200);

            pg = postgres(dir, port);
            await().atMost(Duration.ofSeconds(30)).until(() -> status(base + "/health/ready") == 200);
        } finally {
            pg.close();
        }
    }
}

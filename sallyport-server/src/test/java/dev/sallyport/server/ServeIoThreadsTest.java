package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code serve --io-threads N}: the engine runs that many I/O threads; a bad count is a usage error naming the flag. */
@Timeout(60)
class ServeIoThreadsTest {

    /** The server's own logback.xml (INFO on stderr), not the tests' (WARN on stdout). */
    private static final List<String> PRODUCT_LOGGING = List.of("-Dlogback.configurationFile="
            + Path.of("target", "classes", "logback.xml").toAbsolutePath());

    @Test
    void ioThreads_setsTheEnginesThreads() throws Exception {
        try (ServerProcess server = ServerProcess.start(PRODUCT_LOGGING, "serve", "--socks5", "0", "--io-threads", "1")) {
            assertThat(server.awaitReady()).hasSize(1);
            await().atMost(Duration.ofSeconds(30)).until(() -> server.stderr().contains("transport with 1 I/O thread(s)"));
            assertThat(server.stderr()).contains("io-threads=1");
        }
    }

    @Test
    void badIoThreads_isAUsageErrorNamingTheFlag() throws Exception {
        ServerProcess.assertUsageErrors("--io-threads", v -> "--io-threads: " + v + " (expected: an integer 1-1024)",
                "0", "1025", "many");
    }
}

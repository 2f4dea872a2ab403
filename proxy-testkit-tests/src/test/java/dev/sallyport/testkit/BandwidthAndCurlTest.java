package dev.sallyport.testkit;

import dev.sallyport.api.Outcome;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The bandwidth cap, and faults seen by curl where it is installed. */
@Timeout(60)
class BandwidthAndCurlTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long CAP = 64 * 1024;

    @RegisterExtension
    static SallyportExtension proxy = SallyportExtension.socks5().http().bandwidth(CAP).build();

    @RegisterExtension
    static TestOrigin origin = new TestOrigin();

    /** The one end-to-end shaping check here, with a wide margin: a lower bound on the time taken. */
    @Test
    void bandwidth_capsEveryTunnel() throws Exception {
        long size = 3 * CAP;
        try (TcpServer source = TcpServer.source(size); Socket socket = new Socket(proxy.socksProxy())) {
            socket.connect(source.address(), 5000);
            socket.setSoTimeout(30_000);
            long start = System.nanoTime();
            byte[] received = socket.getInputStream().readAllBytes();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(received).hasSize((int) size);
            assertThat(TestBytes.firstMismatch(received, 0)).isEqualTo(-1);
            // Three seconds at the cap; a full bucket may pass one second's worth at once.
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        }
        assertThat(proxy.awaitSessions(1, WAIT).get(0).bytesDown()).isEqualTo(size);
    }

    @Test
    void curl_throughTheHttpProxy_getsTheRefusalStatus() throws Exception {
        proxy.faults().refuseHttp(403);
        Curl result = curl("-o", "/dev/null", "-w", "%{http_code}", "-x", "http://127.0.0.1:" + proxy.httpAddress().getPort(),
                "http://127.0.0.1:" + origin.port() + "/hello");
        assertThat(result.stdout()).isEqualTo("403");
        assertThat(proxy.awaitSessions(1, WAIT).get(0).outcome()).isEqualTo(Outcome.DENIED);
    }

    @Test
    void curl_throughSocks5_waitsOutTheLatency_thenGetsThePage() throws Exception {
        Duration latency = Duration.ofMillis(300);
        proxy.faults().latency(latency);
        long start = System.nanoTime();
        Curl result = curl("--socks5", "127.0.0.1:" + proxy.socks5Address().getPort(),
                "http://127.0.0.1:" + origin.port() + "/hello");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(latency);
        assertThat(result.exit()).isZero();
        assertThat(result.stdout()).isEqualTo("hello");
    }

    @Test
    void curl_throughSocks5_refusedConnection_failsTheTransfer() throws Exception {
        proxy.faults().refuseSocks(0x05);
        Curl result = curl("--socks5", "127.0.0.1:" + proxy.socks5Address().getPort(),
                "http://127.0.0.1:" + origin.port() + "/hello");
        assertThat(result.exit()).isNotZero();
        assertThat(proxy.awaitSessions(1, WAIT).get(0).outcome()).isEqualTo(Outcome.CONNECTION_REFUSED);
    }

    private record Curl(int exit, String stdout) {
    }

    /** Runs curl with a 20 s cap; skips the test where curl is not installed. */
    private static Curl curl(String... args) throws IOException, InterruptedException {
        Path curl = Path.of("/usr/bin/curl");
        Assumptions.assumeTrue(Files.isExecutable(curl), "curl is not installed");
        List<String> command = new ArrayList<>(List.of(curl.toString(), "-sS", "--max-time", "20", "--noproxy", ""));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("curl finished").isTrue();
        return new Curl(process.exitValue(), stdout);
    }
}

package dev.sallyport.server;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.ProxyProperties;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.sallyport.server.ServeReloadTest.privateFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code serve --warm-up}: loopback sessions through a private proxy before the listeners open,
 * reported in one line, none of the private proxy's own lines in the log, and the real proxy
 * serving afterwards; bad values are usage errors naming the flag.
 */
@Timeout(120)
class ServeWarmUpTest {

    /** The server's own logback.xml (INFO on stderr), not the tests' (WARN on stdout). */
    private static final List<String> PRODUCT_LOGGING = List.of("-Dlogback.configurationFile="
            + Path.of("target", "classes", "logback.xml").toAbsolutePath());
    private static final Pattern WARMED = Pattern.compile("Warm-up: (\\d+) loopback sessions in \\d+ ms");

    @Test
    void warmUp_runsSessionsBeforeReady_logsOneLine_thenServes() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start(PRODUCT_LOGGING, "serve", "--socks5", "0", "--http", "0",
                     "--warm-up", "2s")) {
            List<ServerProcess.Listening> listeners = server.awaitReady();
            // The lines logged before ready, once the test has read them all (stderr is read on its own thread).
            await().atMost(Duration.ofSeconds(30)).until(() -> server.stderr().lines()
                    .filter(l -> l.contains("Listening ")).count() >= 2);
            List<String> logLines = server.stderr().lines().toList();

            List<String> warmed = logLines.stream().filter(l -> WARMED.matcher(l).find()).toList();
            assertThat(warmed).as("log: %s", logLines).hasSize(1);
            Matcher m = WARMED.matcher(warmed.get(0));
            assertThat(m.find()).isTrue();
            assertThat(Long.parseLong(m.group(1))).isPositive();
            assertThat(logLines).noneMatch(l -> l.contains("Warm-up stopped"));
            // The private proxy's start and stop lines stay out of the log: one transport line and
            // one listening line per real listener.
            assertThat(logLines.stream().filter(l -> l.contains("Using the ")).count()).as("log: %s", logLines).isEqualTo(1);
            assertThat(logLines.stream().filter(l -> l.contains("Listening ")).count()).as("log: %s", logLines).isEqualTo(2);

            try (Socks5Client client = Socks5Client.open(listeners.get(0).address())) {
                assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
                client.out().write('x');
                assertThat(client.in().read()).isEqualTo('x');
            }
        }
    }

    @Test
    void privateProxy_reachesOnlyItsEchoTarget() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             TcpServer other = TcpServer.echo();
             ProxyManager proxy = start(WarmUp.properties(null, echo.port()))) {
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            }
            for (String host : List.of("127.0.0.1", "127.0.0.2", "::1", "localhost")) {
                try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                    assertThat(client.noAuth().connect(host, other.port()).rep()).as(host).isEqualTo(2);
                }
            }
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.noAuth().connect("127.0.0.2", echo.port()).rep()).isEqualTo(2);
            }
            assertThat(other.connections()).isEmpty();
        }
    }

    private static ProxyManager start(java.util.Properties properties) {
        ProxyManager.Builder builder = ProxyManager.builder();
        ProxyProperties.apply(builder, properties);
        return builder.start();
    }

    @Test
    void warmUp_fromTheConfigFile(@TempDir Path dir) throws Exception {
        Path config = privateFile(dir.resolve("sallyport.properties"), "socks5=0\nwarm-up=500ms\n");
        try (ServerProcess server = ServerProcess.start("serve", "--config", config.toString())) {
            assertThat(server.awaitReady()).hasSize(1);
        }
    }

    @Test
    void badWarmUp_isAUsageErrorNamingTheFlag() throws Exception {
        ServerProcess.assertUsageErrors("--warm-up", v -> "--warm-up: '" + v + "'", "3m", "soon", "-1s");
    }
}

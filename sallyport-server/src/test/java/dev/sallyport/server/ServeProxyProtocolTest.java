package dev.sallyport.server;

import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve --proxy-protocol CIDR[,CIDR...]} (config key {@code proxy-protocol}): every listener
 * reads the balancers' PROXY headers, the access log shows the client the header named, and a bad
 * value is a usage error naming the flag.
 */
@Timeout(120)
class ServeProxyProtocolTest {

    private static final java.util.regex.Pattern LISTENING =
            java.util.regex.Pattern.compile("listening socks5 (\\S+):(\\d+)");

    @Test
    void proxyProtocol_isTheFlag_andTheConfigKey(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("sallyport.properties"),
                "proxy-protocol=10.0.0.0/24,fd00::/64\nproxy-protocol-mode=optional\nupstream-proxy-protocol=v2\n");
        assertThat(CliSettingsTest.effective("serve", "--proxy-protocol", "10.0.0.0/24,fd00::/64", "--proxy-protocol-mode", "optional",
                "--upstream-proxy-protocol", "v2"))
                .contains(" proxy-protocol=10.0.0.0/24,fd00::/64 proxy-protocol-mode=optional upstream-proxy-protocol=v2")
                .isEqualTo(CliSettingsTest.effective("serve", "--config", file.toString()));
    }

    @Test
    void badCidr_exitsTwoNamingTheFlag() throws Exception {
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--proxy-protocol", "10.0.0.0/24,10.0.0.300"))
                .startsWith("sallyport: --proxy-protocol: 10.0.0.300 (expected: an address or CIDR");
    }

    @Test
    void badMode_exitsTwoNamingTheFlag() throws Exception {
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--proxy-protocol", "10.0.0.1", "--proxy-protocol-mode", "maybe"))
                .startsWith("sallyport: --proxy-protocol-mode: maybe (expected: required or optional)");
    }

    @Test
    void modeWithoutSources_exitsTwoNamingTheFlag() throws Exception {
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--proxy-protocol-mode", "optional"))
                .startsWith("sallyport: --proxy-protocol-mode: optional (expected: set together with proxy-protocol)");
    }

    @Test
    void withoutUsers_theHeadersRemoteClientsWouldHaveAnOpenProxy_exitsTwoUnlessAllowed() throws Exception {
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--proxy-protocol", "127.0.0.1/32"))
                .startsWith("sallyport: --proxy-protocol: the clients that PROXY headers name are remote, so without "
                        + "--user anyone who reaches it could use this proxy (expected: add --user NAME:PASSWORD, or "
                        + "--allow-open-proxy");
    }

    @Test
    void badModeWithoutSources_namesTheBadValueFirst() throws Exception {
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--proxy-protocol-mode", "maybe"))
                .startsWith("sallyport: --proxy-protocol-mode: maybe (expected: required or optional)");
    }

    @Test
    void badUpstreamVersion_exitsTwoNamingTheFlag() throws Exception {
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--upstream-proxy-protocol", "v3"))
                .startsWith("sallyport: --upstream-proxy-protocol: v3 (expected: v1, v2 or off)");
    }

    @Test
    void behindABalancer_theAccessLogShowsTheHeadersClient() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--proxy-protocol", "127.0.0.2",
                     "--allow-open-proxy", "--allow", "127.0.0.0/8", "--log-level", "info")) {
            // At INFO the access log shares stdout with the startup lines.
            java.util.regex.Matcher listening = LISTENING.matcher("");
            while (!listening.reset(server.nextLine()).matches()) {
                continue;
            }
            InetSocketAddress proxy = new InetSocketAddress(listening.group(1), Integer.parseInt(listening.group(2)));
            try (Socket socket = new Socket()) {
                socket.bind(new InetSocketAddress("127.0.0.2", 0));
                socket.connect(proxy, 5000);
                socket.setSoTimeout(10_000);
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                first.writeBytes("PROXY TCP4 203.0.113.7 192.0.2.1 4711 1080\r\n".getBytes(StandardCharsets.US_ASCII));
                first.writeBytes(new byte[] {5, 1, 0});
                socket.getOutputStream().write(first.toByteArray());
                assertThat(socket.getInputStream().readNBytes(2)).containsExactly(5, 0);
                int port = echo.port();
                socket.getOutputStream().write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
                assertThat(socket.getInputStream().readNBytes(10)[1]).isZero();
            }
            String line = server.nextLine();
            while (!line.contains(" client=")) {
                line = server.nextLine();
            }
            assertThat(line).contains(" client=203.0.113.7:4711 protocol=socks5 command=connect");
        }
    }
}

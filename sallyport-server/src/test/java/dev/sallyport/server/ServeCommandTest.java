package dev.sallyport.server;

import dev.sallyport.testkit.Socks4Client;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The standalone server as a process: output contract, SIGTERM, and usage errors. */
@Timeout(120)
class ServeCommandTest {

    @Test
    void serve_printsOneLinePerListenerThenReady_tunnels_andSigtermExitsZero() throws Exception {
        try (TcpServer echo = TcpServer.echo(); ServerProcess server = ServerProcess.start("serve", "--socks5", "0")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            assertThat(listening).hasSize(1);
            assertThat(listening.get(0).line()).matches("listening socks5 127\\.0\\.0\\.1:[1-9][0-9]*");

            try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, listening.get(0).address()))) {
                socket.connect(echo.address(), 5000);
                socket.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
            }

            server.process.destroy(); // SIGTERM
            assertThat(server.awaitExit()).isZero();
            assertThat(server.remainingStdout()).isEmpty();
        }
    }

    @Test
    void serve_mixedPort_servesSocks5AndSocks4OnOnePort() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--mixed", "0")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            assertThat(listening).extracting(ServerProcess.Listening::protocol).containsExactly("socks5", "mixed");
            assertThat(listening.get(1).line()).matches("listening mixed 127\\.0\\.0\\.1:[1-9][0-9]*");
            try (Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, listening.get(1).address()))) {
                socket.connect(echo.address(), 5000);
                socket.getOutputStream().write(7);
                assertThat(socket.getInputStream().read()).isEqualTo(7);
            }
            try (Socks4Client socks4 = Socks4Client.open(listening.get(1).address())) {
                assertThat(socks4.connect(InetAddress.getLoopbackAddress(), echo.port(), "").code()).isEqualTo(0x5A);
            }
        }
    }

    @Test
    void serve_policyFlags_portsAllowDenyPrivate() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--deny-private", "--allow", "127.0.0.1/32",
                     "--allow-ports", echo.port() + ",1-1023", "--max-clients-per-ip", "20")) {
            var socks = server.awaitReady().get(0).address();
            assertThat(connectReply(socks, "127.0.0.1", echo.port())).isZero();
            assertThat(connectReply(socks, "127.0.0.2", echo.port())).as("deny-private").isEqualTo(2);
            assertThat(connectReply(socks, "127.0.0.1", 65000)).as("allow-ports").isEqualTo(2);
        }
    }

    private static int connectReply(java.net.InetSocketAddress proxy, String ipv4, int port) throws IOException {
        try (Socks5Client client = Socks5Client.open(proxy)) {
            return client.noAuth().connect(ipv4, port).rep();
        }
    }

    @Test
    void serve_portInUse_exitsOneWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerProcess server = ServerProcess.start("serve", "--socks5", String.valueOf(taken.getLocalPort()))) {
            assertThat(server.awaitExit()).isEqualTo(1);
            assertThat(server.stderr()).contains("sallyport: socks5: cannot listen on 127.0.0.1:" + taken.getLocalPort());
            assertThat(server.stderr().lines().filter(l -> l.startsWith("sallyport:")).count()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--socks5 abc           | --socks5",
        "--socks5 70000         | --socks5",
        "--http -1              | --http",
        "--user bob             | --user",
        "--user :pw             | --user",
        "--bind nowhere         | --bind",
        "--bind 0.0.0.0         | --bind",
        "--deny 10.0.0.0/33     | --deny",
        "--allow-ports 80,x     | --allow-ports",
        "--bandwidth fast       | --bandwidth",
        "--max-sessions-per-user 0 | --max-sessions-per-user",
        "--tls-key k.pem        | --tls-cert",
        "--tls-cert /nope --tls-key /nope --http 0 | --tls-cert",
        "--no-such-flag         | --no-such-flag",
    })
    void serve_badFlag_exitsTwoWithOneLineNamingTheFlag(String flags, String named) throws Exception {
        String[] args = ("serve " + flags.trim()).split(" ");
        try (ServerProcess server = ServerProcess.start(args)) {
            assertThat(server.awaitExit()).isEqualTo(2);
            List<String> lines = server.stderr().lines().toList();
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).startsWith("sallyport: ").contains(named);
            assertThat(lines.get(0)).doesNotContain("pw");
        }
    }

    @Test
    void noCommand_exitsTwo() throws Exception {
        try (ServerProcess server = ServerProcess.start()) {
            assertThat(server.awaitExit()).isEqualTo(2);
            assertThat(server.stderr()).contains("serve");
        }
    }

    @Test
    void help_exitsZeroAndListsTheFlags() throws Exception {
        try (ServerProcess server = ServerProcess.start("serve", "--help")) {
            assertThat(server.awaitExit()).isZero();
            String help = String.join("\n", server.remainingStdout());
            assertThat(help).contains("--bind", "--socks5", "--user", "--http");
        }
    }

    static boolean curlInstalled() {
        try {
            return new ProcessBuilder("curl", "--version").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static void assumeCurl() {
        org.junit.jupiter.api.Assumptions.assumeTrue(curlInstalled(),
                "curl is not installed: skipping the curl test (apt-get install curl to run it)");
    }
}

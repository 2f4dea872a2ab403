package dev.sallyport.server;

import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sallyport sessions} and {@code sessions close ID} against a running server, as processes. */
@Timeout(120)
class SessionsCommandTest {

    private static final Pattern ID = Pattern.compile("\\{\"id\":(\\d+),");

    /** What a client command printed and its exit code. */
    private record Run(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    /** Runs a client command in this JVM, as the launcher would run it; the server is a process of its own. */
    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private static Socket tunnel(InetSocketAddress socks, TcpServer echo) throws IOException {
        Socket socket = new Socket(new Proxy(Proxy.Type.SOCKS, socks));
        socket.connect(echo.address(), 5000);
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(42);
        assertThat(socket.getInputStream().read()).isEqualTo(42);
        return socket;
    }

    @Test
    void sessions_listsTheOpenTunnel_asATableAndAsJson_andCloseEndsIt() throws Exception {
        try (TcpServer echo = TcpServer.echo();
             ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0")) {
            List<ServerProcess.Listening> listening = server.awaitReady();
            String url = "http://127.0.0.1:" + listening.get(1).address().getPort() + "/metrics";
            try (Socket socket = tunnel(listening.get(0).address(), echo)) {
                Run table = run("sessions", "--metrics-url", url);
                assertThat(table.exit()).as(table.err()).isZero();
                assertThat(table.lines()).hasSize(2).first().asString().startsWith("ID ").contains("TARGET");

                Run json = run("sessions", "--json", "--metrics-url", url);
                assertThat(json.exit()).isZero();
                String body = json.out();
                assertThat(body).contains("\"targetPort\":" + echo.port()).contains("\"bytesUp\":1");
                Matcher id = ID.matcher(body);
                assertThat(id.find()).isTrue();

                Run close = run("sessions", "close", id.group(1), "--metrics-url", url);
                assertThat(close.exit()).as(close.err()).isZero();
                assertThat(close.lines()).containsExactly("closed " + id.group(1));
                assertThat(socket.getInputStream().read()).as("the client sees the end").isEqualTo(-1);

                Run again = run("sessions", "close", id.group(1), "--metrics-url", url);
                assertThat(again.exit()).isEqualTo(1);
                assertThat(again.err()).startsWith("sallyport: sessions close: no open session " + id.group(1));
            }
        }
    }

    @Test
    void sessions_withATokenFile_needsIt(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "s3cret-token\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        try (ServerProcess server = ServerProcess.start("serve", "--socks5", "0", "--metrics", "0",
                "--metrics-token-file", token.toString())) {
            String url = "http://127.0.0.1:" + server.awaitReady().get(1).address().getPort() + "/metrics";
            Run without = run("sessions", "--metrics-url", url);
            assertThat(without.exit()).isEqualTo(1);
            assertThat(without.err()).startsWith("sallyport: sessions: HTTP 401").contains("--metrics-token-file")
                    .doesNotContain("s3cret");
            Run with = run("sessions", "--metrics-url", url, "--metrics-token-file", token.toString());
            assertThat(with.exit()).as(with.err()).isZero();
            assertThat(with.lines()).hasSize(1).first().asString().startsWith("ID ");
        }
    }

    @Test
    void sessions_badInput_exitsTwo_unreachableServer_exitsOne() throws Exception {
        Run badId = run("sessions", "close", "abc", "--metrics-url", "http://127.0.0.1:9/metrics");
        assertThat(badId.exit()).isEqualTo(2);
        assertThat(badId.err()).startsWith("sallyport: ").contains("abc");
        Run noUrl = run("sessions");
        assertThat(noUrl.exit()).isEqualTo(2);
        assertThat(noUrl.err()).startsWith("sallyport: --metrics-url");
        Run badUrl = run("sessions", "--metrics-url", "ftp://127.0.0.1/x");
        assertThat(badUrl.exit()).isEqualTo(2);

        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Run unreachable = run("sessions", "close", "7", "--metrics-url", "http://127.0.0.1:" + closedPort + "/metrics");
        assertThat(unreachable.exit()).isEqualTo(1);
        assertThat(unreachable.err()).startsWith("sallyport: sessions close: cannot reach http://127.0.0.1:" + closedPort
                + "/sessions/7");
    }
}

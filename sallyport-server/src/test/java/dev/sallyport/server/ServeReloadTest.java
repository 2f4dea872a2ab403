package dev.sallyport.server;

import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code serve} reloads on SIGHUP, sent with {@code kill -HUP} to a real server process: the
 * edited user file and config file apply to new sessions, a removed user's tunnel closes while
 * the others run on, a config that does not parse keeps the running one, and a new TLS
 * certificate serves the next handshake.
 */
@Timeout(120)
class ServeReloadTest {

    /** The server's own logback.xml (INFO on stderr), not the tests' (WARN on stdout). */
    static final List<String> PRODUCT_LOGGING = List.of("-Dlogback.configurationFile="
            + Path.of("target", "classes", "logback.xml").toAbsolutePath());

    private final TcpServer echo = TcpServer.echo();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        echo.close();
    }

    static Path privateFile(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private ServerProcess serve(String... args) throws Exception {
        // A build started under nohup passes SIGHUP on ignored, and the JVM keeps it so: env restores it.
        ServerProcess server = ServerProcess.start(PRODUCT_LOGGING,
                builder -> builder.command().addAll(0, List.of("env", "--default-signal=HUP")), args);
        open.add(server);
        return server;
    }

    @Test
    void startedWithSighupIgnored_warnsThatThereIsNoReload() throws Exception {
        ServerProcess server = ServerProcess.start(PRODUCT_LOGGING, builder -> builder.command().add(0, "nohup"),
                "serve", "--socks5", "0");
        open.add(server);
        server.awaitReady();
        await().atMost(Duration.ofSeconds(30)).until(() -> server.stderr().contains(
                "No reload on SIGHUP: this process was started with SIGHUP ignored (nohup?)"));
    }

    private ServerProcess serveConfig(Path config) throws Exception {
        return serve("serve", "--config", config.toString());
    }

    private static InetSocketAddress socks5(ServerProcess server) throws InterruptedException {
        return server.awaitReady().get(0).address();
    }

    /** Sends SIGHUP and waits for the {@code n}-th reload's outcome line on stderr. */
    static void hangUp(ServerProcess server, int n, String outcome) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(server.process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> count(server.stderr(), outcome) >= n);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private Socks5Client tunnel(InetSocketAddress proxy, String user, String password) throws IOException {
        Socks5Client client = Socks5Client.open(proxy);
        open.add(client);
        if (client.login(user, password) != 0 || !client.connect(echo.address()).succeeded()) {
            return null;
        }
        return client;
    }

    private static boolean echoes(Socks5Client client) throws IOException {
        client.out().write("ping".getBytes(StandardCharsets.US_ASCII));
        client.out().flush();
        return new String(client.in().readNBytes(4), StandardCharsets.US_ASCII).equals("ping");
    }

    private static boolean closedByProxy(Socks5Client client) throws IOException {
        client.socket().setSoTimeout(20_000);
        try {
            return client.in().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    @Test
    void sighup_afterEditingTheUserFile_addsAndRemovesUsers_otherTunnelsRunOn(@TempDir Path dir) throws Exception {
        Path users = privateFile(dir.resolve("users"), "# name:password\nalice:a-pw\nbob:b-pw\n");
        ServerProcess server = serve("serve", "--socks5", "0", "--user-file", users.toString());
        InetSocketAddress proxy = server.awaitReady().get(0).address();
        Socks5Client alice = tunnel(proxy, "alice", "a-pw");
        Socks5Client bob = tunnel(proxy, "bob", "b-pw");
        assertThat(alice).isNotNull();
        assertThat(bob).isNotNull();
        assertThat(tunnel(proxy, "carol", "c-pw")).isNull();

        privateFile(users, "alice:a-pw\ncarol:c-pw\n");
        hangUp(server, 1, "Configuration reloaded");

        assertThat(closedByProxy(bob)).isTrue();
        assertThat(echoes(alice)).isTrue();
        assertThat(tunnel(proxy, "carol", "c-pw")).isNotNull();
        assertThat(tunnel(proxy, "bob", "b-pw")).isNull();
        assertThat(server.stderr()).contains("1 added, 0 changed, 1 removed").doesNotContain("a-pw", "b-pw", "c-pw");
    }

    @Test
    void sighup_withAConfigThatDoesNotParse_keepsTheRunningOne_andNamesTheKeyAndLine(@TempDir Path dir) throws Exception {
        Path config = privateFile(dir.resolve("sallyport.properties"), "socks5=0\nuser.alice=a-pw\n");
        ServerProcess server = serveConfig(config);
        InetSocketAddress proxy = socks5(server);
        Socks5Client alice = tunnel(proxy, "alice", "a-pw");

        privateFile(config, "user.alice=a-pw\nsocks5=not-a-port\nuser.bob=b-pw\n");
        hangUp(server, 1, "Reload failed");

        String failure = server.stderr().lines().filter(l -> l.contains("Reload failed")).findFirst().orElseThrow();
        assertThat(failure).contains("--socks5", config + " line 2: socks5").doesNotContain("a-pw", "b-pw");
        assertThat(echoes(alice)).isTrue();
        assertThat(tunnel(proxy, "bob", "b-pw")).isNull();

        privateFile(config, "socks5=0\nuser.alice=a-pw\nuser.bob=b-pw\n");
        hangUp(server, 1, "Configuration reloaded");
        assertThat(tunnel(proxy, "bob", "b-pw")).isNotNull();
        assertThat(echoes(alice)).isTrue();
    }

    @Test
    void sighup_withAMalformedLine_keepsTheRunningOne_andNamesTheLine(@TempDir Path dir) throws Exception {
        Path config = privateFile(dir.resolve("sallyport.properties"), "socks5=0\nuser.alice=a-pw\n");
        ServerProcess server = serveConfig(config);
        InetSocketAddress proxy = socks5(server);

        privateFile(config, "socks5=0\nuser.alice=a-pw\ndeny-private\n");
        hangUp(server, 1, "Reload failed");

        assertThat(server.stderr()).contains(config + " line 3: no '=' (expected: key=value)");
        assertThat(tunnel(proxy, "alice", "a-pw")).isNotNull();
    }

    @Test
    void sighup_listenerPortChanged_isReportedAsNeedingARestart(@TempDir Path dir) throws Exception {
        Path config = privateFile(dir.resolve("sallyport.properties"), "socks5=0\nuser.alice=a-pw\n");
        ServerProcess server = serveConfig(config);
        InetSocketAddress proxy = socks5(server);

        privateFile(config, "socks5=0\nhttp=0\nuser.alice=a-pw\n");
        hangUp(server, 1, "Configuration reloaded");

        assertThat(server.stderr()).contains("apply(ies) only after a restart: [http: added on port 0]");
        assertThat(tunnel(proxy, "alice", "a-pw")).isNotNull();
    }

    @Test
    void sighup_afterSwappingTheCertificateFiles_theNextHandshakeSeesTheNewCertificate(@TempDir Path dir) throws Exception {
        TestCertificate first = TestCertificate.generate(Files.createDirectory(dir.resolve("first")));
        TestCertificate second = TestCertificate.generate(Files.createDirectory(dir.resolve("second")));
        Path cert = Files.copy(first.certificatePem(), dir.resolve("cert.pem"));
        Path key = Files.copy(first.privateKeyPem(), dir.resolve("key.pem"));
        ServerProcess server = serve("serve", "--http", "0", "--tls-cert", cert.toString(), "--tls-key", key.toString());
        InetSocketAddress proxy = server.awaitReady().get(0).address();
        assertThat(serverCertificate(proxy)).isEqualTo(first.certificate());

        Files.copy(second.certificatePem(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(second.privateKeyPem(), key, StandardCopyOption.REPLACE_EXISTING);
        hangUp(server, 1, "Configuration reloaded");

        assertThat(serverCertificate(proxy)).isEqualTo(second.certificate());
    }

    /** The certificate the proxy's TLS listener presents to a new handshake. */
    private static Certificate serverCertificate(InetSocketAddress proxy) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {new TrustingManager()}, null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(proxy.getAddress(), proxy.getPort())) {
            socket.setSoTimeout(20_000);
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        }
    }

    /** Trusts any certificate: the test compares the one presented itself. */
    private static final class TrustingManager implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

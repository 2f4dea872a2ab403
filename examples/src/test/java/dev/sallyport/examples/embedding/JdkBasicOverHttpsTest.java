package dev.sallyport.examples.embedding;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.TestCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the README says about Java clients and Basic credentials for HTTPS through the HTTP proxy,
 * checked with the JDK's own {@code HttpClient} ({@link JdkHttpsProbe}, each case in a JVM of its
 * own since the JDK reads the property once): by default the JDK sends no Basic credentials for a
 * CONNECT tunnel and hands the proxy's 407 to the application, without asking its
 * {@code Authenticator}; with {@code -Djdk.http.auth.tunneling.disabledSchemes=} it logs in and the
 * HTTPS request goes through.
 */
@Timeout(120)
class JdkBasicOverHttpsTest {

    private static final String PROPERTY = "jdk.http.auth.tunneling.disabledSchemes";

    @TempDir
    Path dir;

    private final SessionRecorder recorder = new SessionRecorder();
    private HttpsServer origin;
    private ProxyManager proxy;
    private Path trustStore;

    @BeforeEach
    void start() throws Exception {
        TestCertificate certificate = TestCertificate.generate(dir);
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(certificate.keyStore(), certificate.password());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        origin = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.setHttpsConfigurator(new HttpsConfigurator(tls));
        origin.createContext("/", exchange -> {
            byte[] body = "hello over https".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        origin.start();

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("origin", certificate.certificate());
        trustStore = dir.resolve("trust.p12");
        try (OutputStream out = java.nio.file.Files.newOutputStream(trustStore)) {
            trust.store(out, "changeit".toCharArray());
        }
        proxy = ProxyManager.builder().http(0).user("alice", "s3cret").metrics(recorder).start();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
    }

    /** Runs the probe in a JVM of its own with {@code options}; returns its output lines. */
    private List<String> probe(String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djavax.net.ssl.trustStore=" + trustStore);
        command.add("-Djavax.net.ssl.trustStorePassword=changeit");
        command.addAll(List.of(options));
        command.add("-cp");
        command.add(Path.of(JdkHttpsProbe.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString());
        command.add(JdkHttpsProbe.class.getName());
        command.add(String.valueOf(proxy.address("http").getPort()));
        command.add("https://127.0.0.1:" + origin.getAddress().getPort() + "/");
        command.add("alice");
        command.add("s3cret");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.lines().toList();
    }

    @Test
    void jdkDefault_sendsNoBasicForATunnel_theApplicationGetsThe407() throws Exception {
        assertThat(probe()).containsExactly("status 407", "authenticator asked: false");
        SessionSummary refused = recorder.takeSession(Duration.ofSeconds(10));
        assertThat(refused.command()).isEqualTo(Command.CONNECT);
        assertThat(refused.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(refused.rule()).isEqualTo("no_credentials");
    }

    @Test
    void basicAllowedForTunnels_theHttpsRequestGoesThroughAsTheUser() throws Exception {
        assertThat(probe("-D" + PROPERTY + "=")).containsExactly("status 200 hello over https", "authenticator asked: true");
        List<SessionSummary> sessions = recorder.awaitSessions(2, Duration.ofSeconds(10));
        // The JDK asks without credentials first: a challenge, then the tunnel as alice.
        assertThat(sessions).extracting(SessionSummary::outcome).containsExactly(Outcome.AUTH_FAILED, Outcome.OK);
        assertThat(sessions.get(1).user()).isEqualTo("alice");
        assertThat(sessions.get(1).command()).isEqualTo(Command.CONNECT);
    }
}

package dev.sallyport.http;

import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * OPTIONS and TRACE with {@code Max-Forwards: 0} on a proxy that requires a login: 407 until the
 * client logs in, as Squid answers, and the proxy's own answer only after core accepted the login.
 * Nothing is forwarded, so no origin runs.
 */
@Timeout(30)
class HttpLoginFirstTest {

    private ProxyManager proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close(Duration.ZERO);
        }
    }

    private record Response(int status, Map<String, String> headers, String body) {
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static Response exchange(Socket socket, String method, String proxyAuthorization) throws IOException {
        String head = method + " http://origin.test:81/t HTTP/1.1\r\nHost: origin.test:81\r\nMax-Forwards: 0\r\n"
                + (proxyAuthorization == null ? "" : "Proxy-Authorization: " + proxyAuthorization + "\r\n") + "\r\n";
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        String statusLine = line(in);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
        }
        byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
        return new Response(Integer.parseInt(statusLine.split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("closed by the proxy after: " + line);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private InetSocketAddress start(boolean login) {
        ProxyManager.Builder builder = ProxyManager.builder().http(0);
        if (login) {
            builder.user("alice", "pw");
        }
        proxy = builder.start();
        return proxy.address("http");
    }

    @Test
    void traceAndOptions_withoutALogin_get407_andTheAnswerOnlyAfterALogin() throws IOException {
        InetSocketAddress address = start(true);
        try (Socket socket = new Socket()) {
            socket.connect(address, 5000);
            socket.setSoTimeout(10_000);
            for (String method : new String[] {"TRACE", "OPTIONS"}) {
                Response challenge = exchange(socket, method, null);
                assertThat(challenge.status()).as(method).isEqualTo(407);
                assertThat(challenge.headers()).containsKey("proxy-authenticate");
                assertThat(challenge.body()).doesNotContain("origin.test:81/t");

                assertThat(exchange(socket, method, basic("alice", "wrong")).status()).as(method).isEqualTo(407);
            }
            Response trace = exchange(socket, "TRACE", basic("alice", "pw"));
            assertThat(trace.status()).isEqualTo(200);
            assertThat(trace.headers()).containsEntry("content-type", "message/http");
            assertThat(trace.body()).startsWith("TRACE http://origin.test:81/t HTTP/1.1")
                    .doesNotContainIgnoringCase("Proxy-Authorization");
            Response options = exchange(socket, "OPTIONS", basic("alice", "pw"));
            assertThat(options.status()).isEqualTo(200);
            assertThat(options.headers().get("allow")).contains("CONNECT");
        }
    }

    @Test
    void traceAndOptions_onAProxyWithoutLogins_areAnsweredAtOnce() throws IOException {
        InetSocketAddress address = start(false);
        try (Socket socket = new Socket()) {
            socket.connect(address, 5000);
            socket.setSoTimeout(10_000);
            assertThat(exchange(socket, "TRACE", null).status()).isEqualTo(200);
            assertThat(exchange(socket, "OPTIONS", null).status()).isEqualTo(200);
        }
    }
}

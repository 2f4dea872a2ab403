package dev.sallyport.http;

import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Principal;
import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-client connection cap is checked before the password: over it, 429 and no password check. */
@Timeout(30)
class HttpLoginCapTest {

    @Test
    void overThePerClientCap_aRequestWithCredentialsGets429_withoutAPasswordCheck() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (ProxyManager proxy = ProxyManager.builder().http(0).maxConnectionsPerClient(1)
                .auth((credentials, context) -> {
                    calls.incrementAndGet();
                    return CompletableFuture.completedFuture(AuthResult.success(Principal.of(credentials.username())));
                }).start();
             Socket first = connect(proxy.address("http"))) {
            // The first connection is within the cap: its request without credentials gets the
            // challenge, and the connection stays open.
            assertThat(status(first, "")).isEqualTo(407);

            String credentials = Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
            try (Socket second = connect(proxy.address("http"))) {
                assertThat(status(second, "Proxy-Authorization: Basic " + credentials + "\r\n")).isEqualTo(429);
            }

            assertThat(calls).as("password checks run").hasValue(0);
        }
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Sends a CONNECT with {@code headers} and returns the status code of the answer. */
    private static int status(Socket socket, String headers) throws IOException {
        socket.getOutputStream().write(("CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n" + headers + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1))
                .readLine();
        assertThat(line).startsWith("HTTP/1.1 ");
        return Integer.parseInt(line.substring(9, 12));
    }
}

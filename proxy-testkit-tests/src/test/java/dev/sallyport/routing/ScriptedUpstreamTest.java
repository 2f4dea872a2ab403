package dev.sallyport.routing;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.sallyport.routing.Hops.front;
import static org.assertj.core.api.Assertions.assertThat;

/** A scripted SOCKS5 upstream that answers in ways a real one may: byte by byte on the wire, as the test wants. */
@Timeout(20)
class ScriptedUpstreamTest {

    /** Answers one no-auth greeting and CONNECT with {@code rep}, then {@code after} in the same write; returns the request. */
    private static CompletableFuture<byte[]> answerOnce(ServerSocket server, int rep, byte[] after) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket socket = server.accept()) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                in.readNBytes(3);
                out.write(new byte[] {5, 0});
                out.flush();
                byte[] head = in.readNBytes(5);
                byte[] rest = in.readNBytes(head[4] + 2);
                byte[] reply = {5, (byte) rep, 0, 1, 127, 0, 0, 1, 0, 80};
                byte[] all = new byte[reply.length + after.length];
                System.arraycopy(reply, 0, all, 0, reply.length);
                System.arraycopy(after, 0, all, reply.length, after.length);
                out.write(all);
                out.flush();
                in.read();
                return rest;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aTargetThatSpeaksFirst_inTheSameSegmentAsTheUpstreamsReply_reachesTheClient() throws Exception {
        byte[] banner = "220 smtp.target.test ready\r\n".getBytes(StandardCharsets.US_ASCII);
        try (ServerSocket upstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ProxyManager proxy = front(RouteKindsTest.via("socks5://127.0.0.1:" + upstream.getLocalPort()),
                     new SessionRecorder());
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            CompletableFuture<byte[]> asked = answerOnce(upstream, 0, banner);
            assertThat(client.noAuth().connect("target.test", 25).rep()).isZero();
            // Through the client's own (buffered) stream: the banner may arrive in the same read as the reply.
            assertThat(client.in().readNBytes(banner.length)).isEqualTo(banner);
            client.socket().close();
            // DST.ADDR as a name (ATYP 3 was read above as head[3]); the name then the port.
            assertThat(new String(asked.get(5, TimeUnit.SECONDS), 0, "target.test".length(), StandardCharsets.US_ASCII))
                    .isEqualTo("target.test");
        }
    }

    @Test
    void anUpstreamThatCannotReachTheTarget_isTheTargetsFailure_notRetriedNorMarkedDown() throws Exception {
        SessionRecorder near = new SessionRecorder();
        try (ServerSocket upstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ProxyManager proxy = front(RouteKindsTest.via("socks5://127.0.0.1:" + upstream.getLocalPort()), near)) {
            for (int i = 0; i < 2; i++) {
                CompletableFuture<byte[]> asked = answerOnce(upstream, 5, new byte[0]);
                try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                    // REP 5 from the upstream is passed on; the upstream stays in selection for the next one.
                    assertThat(client.noAuth().connect("target.test", 25).rep()).isEqualTo(5);
                }
                asked.get(5, TimeUnit.SECONDS);
                near.awaitSessions(i + 1, Hops.WAIT);
            }
            assertThat(near.sessions()).extracting(s -> s.outcome()).containsOnly(Outcome.CONNECTION_REFUSED);
            assertThat(near.sessions()).extracting(s -> s.rule()).containsOnlyNulls();
        }
    }
}

package dev.sallyport.http;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client side of the HTTP frontend on an {@link EmbeddedChannel}, set up exactly as
 * {@link HttpFrontend} sets it up (the {@code HttpServerCodec} with our limits, then our
 * handlers), with an {@link EmbeddedSession} standing in for core. Every input is fed whole, in
 * uneven fragments and byte by byte; every test ends with nothing left in any channel, and the
 * leak check (PARANOID) fails the class if a buffer was not released.
 */
class HttpClientDecodingTest {

    /** How the client's bytes arrive. */
    enum Feed {
        WHOLE(Integer.MAX_VALUE),
        FRAGMENTED(5, 1, 17, 2, 9, 3),
        BYTE_BY_BYTE(1);

        private final int[] sizes;

        Feed(int... sizes) {
            this.sizes = sizes;
        }

        /** Writes {@code text} to {@code channel} in this feed's pieces; stops once the proxy closed it. */
        void into(EmbeddedChannel channel, String text) {
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            for (int at = 0, i = 0; at < bytes.length && channel.isOpen(); i++) {
                int length = Math.min(sizes[i % sizes.length], bytes.length - at);
                channel.writeInbound(channel.alloc().buffer(length).writeBytes(bytes, at, length));
                at += length;
            }
        }
    }

    private static final String POST = "POST http://origin.test:8000/upload?x=1 HTTP/1.1\r\n"
            + "Host: wrong.example\r\n"
            + "Content-Length: 11\r\n"
            + "Connection: keep-alive, X-Private\r\n"
            + "X-Private: drop-me\r\n"
            + "X-Public: keep-me\r\n"
            + "Proxy-Connection: keep-alive\r\n"
            + "\r\n"
            + "hello world";

    private static String get(String path) {
        return "GET http://origin.test:8000" + path + " HTTP/1.1\r\nHost: origin.test:8000\r\n\r\n";
    }

    private static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nKeep-Alive: timeout=5\r\n\r\n" + body;
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void forwardedRequest_reachesTheOriginRewritten_andItsResponseTheClient(Feed feed) {
        EmbeddedSession session = new EmbeddedSession();
        feed.into(session.client, POST);

        assertThat(session.exchanges).hasSize(1);
        EmbeddedSession.Admitted exchange = session.exchanges.get(0);
        ProxyRequest request = exchange.request;
        assertThat(request.command()).isEqualTo(Command.HTTP_FORWARD);
        assertThat(request.targetHost()).isEqualTo("origin.test");
        assertThat(request.targetPort()).isEqualTo(8000);
        String sent = exchange.received();
        assertThat(sent).startsWith("POST /upload?x=1 HTTP/1.1\r\n").endsWith("\r\n\r\nhello world");
        String head = sent.substring(0, sent.indexOf("\r\n\r\n")).toLowerCase(Locale.ROOT);
        assertThat(head).contains("\r\nhost: origin.test:8000", "\r\nvia: 1.1 sallyport", "\r\nx-public: keep-me",
                "\r\ncontent-length: 11");
        assertThat(head).doesNotContain("wrong.example", "x-private", "connection");

        exchange.respond(ok("ok"));
        String response = EmbeddedSession.drain(session.client);
        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nok");
        assertThat(response.toLowerCase(Locale.ROOT)).contains("\r\nvia: 1.1 sallyport").doesNotContain("keep-alive");
        assertThat(exchange.outcome).isEqualTo(Outcome.OK);
        assertThat(exchange.reusable).isTrue();
        assertThat(exchange.up).isEqualTo(sent.length());
        assertThat(session.client.isOpen()).isTrue();
        assertThat(session.failures).isEmpty();

        assertThat(exchange.origin.finish()).isFalse();
        assertThat(session.client.finish()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void pipelinedRequests_areForwardedOneAtATime_andAnsweredInOrder(Feed feed) {
        EmbeddedSession session = new EmbeddedSession();
        feed.into(session.client, get("/1") + get("/2"));

        // The second request waits until the first response is through.
        assertThat(session.exchanges).hasSize(1);
        EmbeddedSession.Admitted first = session.exchanges.get(0);
        assertThat(first.received()).startsWith("GET /1 HTTP/1.1\r\n");
        first.respond(ok("one"));
        assertThat(EmbeddedSession.drain(session.client)).startsWith("HTTP/1.1 200 OK").endsWith("one");

        assertThat(session.exchanges).hasSize(2);
        EmbeddedSession.Admitted second = session.exchanges.get(1);
        assertThat(second.received()).startsWith("GET /2 HTTP/1.1\r\n");
        second.respond(ok("two"));
        assertThat(EmbeddedSession.drain(session.client)).startsWith("HTTP/1.1 200 OK").endsWith("two");

        assertThat(first.origin.finish()).isFalse();
        assertThat(second.origin.finish()).isFalse();
        assertThat(session.client.finish()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void requestLineOverTheLimit_414AndClose(Feed feed) {
        EmbeddedSession session = new EmbeddedSession(HttpOptions.defaults().maxRequestLine(256), false);
        feed.into(session.client, get("/" + "a".repeat(300)));

        assertRefusedAndClosed(session, "HTTP/1.1 414 ", "request line longer than 256 bytes");
        assertThat(session.failures).containsExactly(Outcome.PROTOCOL_ERROR);
        assertThat(session.exchanges).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void headersOverTheLimit_431AndClose(Feed feed) {
        EmbeddedSession session = new EmbeddedSession(HttpOptions.defaults().maxHeaderSize(1024), false);
        feed.into(session.client, "GET http://origin.test/ HTTP/1.1\r\nX-Big: " + "b".repeat(1100) + "\r\n\r\n");

        assertRefusedAndClosed(session, "HTTP/1.1 431 ", "request header section larger than 1024 bytes");
        assertThat(session.failures).containsExactly(Outcome.PROTOCOL_ERROR);
        assertThat(session.exchanges).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void malformedRequest_400AndClose(Feed feed) {
        EmbeddedSession session = new EmbeddedSession();
        feed.into(session.client, "THIS IS NOT HTTP\r\n\r\n");

        assertRefusedAndClosed(session, "HTTP/1.1 400 ", "malformed request");
        assertThat(session.failures).containsExactly(Outcome.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void originFormRequest_400WithAHint_andTheConnectionServesTheNextRequest(Feed feed) {
        EmbeddedSession session = new EmbeddedSession();
        feed.into(session.client, "GET /index.html HTTP/1.1\r\nHost: origin.test\r\n\r\n");

        String reply = EmbeddedSession.drain(session.client);
        assertThat(reply).startsWith("HTTP/1.1 400 ").contains("this is a proxy, not a web server", "http://host/path")
                .doesNotContain("close");
        assertThat(session.failures).containsExactly(Outcome.PROTOCOL_ERROR);
        assertThat(session.client.isOpen()).isTrue();

        feed.into(session.client, get("/next"));
        EmbeddedSession.Admitted next = session.exchanges.get(0);
        assertThat(next.received()).startsWith("GET /next HTTP/1.1\r\n");
        next.respond(ok("next"));
        assertThat(EmbeddedSession.drain(session.client)).endsWith("next");

        assertThat(next.origin.finish()).isFalse();
        assertThat(session.client.finish()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void unsupportedScheme_501_andTheConnectionStaysOpen(Feed feed) {
        EmbeddedSession session = new EmbeddedSession();
        feed.into(session.client, "GET ftp://origin.test/file HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(EmbeddedSession.drain(session.client)).startsWith("HTTP/1.1 501 ")
                .contains("scheme ftp is not supported");
        assertThat(session.failures).containsExactly(Outcome.UNSUPPORTED_COMMAND);
        assertThat(session.exchanges).isEmpty();
        assertThat(session.client.isOpen()).isTrue();
        assertThat(session.client.finish()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void connect_removesTheCodec_andHandsTheRelayEveryByteAfterTheHead(Feed feed) {
        EmbeddedSession session = new EmbeddedSession();
        feed.into(session.client, "CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n\u0016\u0003\u0001early");

        assertThat(session.connects).singleElement().satisfies(request -> {
            assertThat(request.command()).isEqualTo(Command.CONNECT);
            assertThat(request.targetHost()).isEqualTo("origin.test");
            assertThat(request.targetPort()).isEqualTo(443);
        });
        assertThat(session.client.pipeline().get(ClientHandler.CODEC)).isNull();
        assertThat(session.client.pipeline().get(ClientHandler.NAME)).isNull();

        EmbeddedChannel target = new EmbeddedChannel();
        session.dials.get(0).setSuccess(target);

        assertThat(EmbeddedSession.drain(session.client)).isEqualTo("HTTP/1.1 200 Connection established\r\n\r\n");
        assertThat(session.relayed).containsExactly(target);
        assertThat(session.client.pipeline().get(ConnectTunnel.NAME)).isNull();
        ByteBuf early = session.client.readInbound();
        assertThat(early.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0016\u0003\u0001early");
        early.release();

        assertThat(target.finish()).isFalse();
        assertThat(session.client.finish()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void connect_refusedByCore_answersTheMappedStatusAndCloses(Feed feed) {
        EmbeddedSession session = new EmbeddedSession();
        feed.into(session.client, "CONNECT origin.test:443 HTTP/1.1\r\n\r\nearly");

        session.dials.get(0).setFailure(new SessionException(Outcome.DENIED, "deny-all", "denied", null));

        assertRefusedAndClosed(session, "HTTP/1.1 403 Forbidden\r\n",
                "access to origin.test:443 is denied by the proxy's rules");
        assertThat(session.relayed).isEmpty();
    }

    private static void assertRefusedAndClosed(EmbeddedSession session, String statusLine, String text) {
        String reply = EmbeddedSession.drain(session.client);
        assertThat(reply).startsWith(statusLine).endsWith("\r\n\r\n" + text + "\n");
        assertThat(reply.toLowerCase(Locale.ROOT)).contains("\r\nconnection: close\r\n");
        assertThat(session.client.isOpen()).isFalse();
        assertThat(session.client.finish()).isFalse();
    }
}

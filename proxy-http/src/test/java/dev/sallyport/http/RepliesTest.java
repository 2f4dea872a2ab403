package dev.sallyport.http;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.SessionException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;

/** The proxy's own replies: refusals mapped from core's outcomes and from undecodable heads, and its final-recipient answers. */
class RepliesTest {

    private static final ProxyRequest REQUEST = new ProxyRequest(Protocol.HTTP, Command.HTTP_FORWARD,
            EmbeddedSession.CLIENT, EmbeddedSession.LISTENER, Credentials.none(), "origin.test", 8000);

    private static Refusal refused(Outcome outcome) {
        return Replies.refusal(new SessionException(outcome, null, "test", null), REQUEST);
    }

    @Test
    void coreOutcomes_mapToTheirStatus_andAReason() {
        Map<Outcome, Map.Entry<Integer, String>> expected = Map.ofEntries(
                entry(Outcome.AUTH_FAILED, entry(407, "proxy authentication failed")),
                entry(Outcome.AUTH_UNAVAILABLE, entry(503, "proxy authentication is unavailable right now; try again later")),
                entry(Outcome.DENIED, entry(403, "access to origin.test:8000 is denied by the proxy's rules")),
                entry(Outcome.LIMITED, entry(429, "a limit was reached; try again later")),
                entry(Outcome.DNS_FAILED, entry(502, "cannot resolve origin.test")),
                entry(Outcome.CONNECTION_REFUSED, entry(502, "origin.test:8000 refused the connection")),
                entry(Outcome.HOST_UNREACHABLE, entry(502, "origin.test:8000 is unreachable")),
                entry(Outcome.NETWORK_UNREACHABLE, entry(502, "origin.test:8000 is unreachable")),
                entry(Outcome.CONNECT_TIMEOUT, entry(504, "connecting to origin.test:8000 timed out")),
                entry(Outcome.ERROR, entry(502, "cannot connect to origin.test:8000")));
        expected.forEach((outcome, reply) -> {
            Refusal refusal = refused(outcome);
            assertThat(refusal.status().code()).as(outcome.name()).isEqualTo(reply.getKey());
            assertThat(refusal.text()).as(outcome.name()).isEqualTo(reply.getValue());
            // Core recorded the outcome already; the connection stays usable.
            assertThat(refusal.outcome()).isNull();
            assertThat(refusal.close()).isFalse();
        });
    }

    @Test
    void aFailureThatIsNotASessionException_isAnError_502() {
        Refusal refusal = Replies.refusal(new IllegalStateException("boom"), REQUEST);
        assertThat(refusal.status()).isEqualTo(HttpResponseStatus.BAD_GATEWAY);
        assertThat(refusal.text()).isEqualTo("cannot connect to origin.test:8000");
    }

    @Test
    void undecodableHeads_map414_431_400_recordAProtocolError_andClose() {
        HttpOptions options = HttpOptions.defaults().maxRequestLine(300).maxHeaderSize(2000);
        Refusal line = Replies.undecodable(new TooLongHttpLineException("long"), options);
        Refusal headers = Replies.undecodable(new TooLongHttpHeaderException("large"), options);
        Refusal other = Replies.undecodable(new IllegalArgumentException("invalid version format"), options);
        assertThat(line).isEqualTo(new Refusal(Outcome.PROTOCOL_ERROR, HttpResponseStatus.REQUEST_URI_TOO_LONG,
                "request line longer than 300 bytes", true));
        assertThat(headers).isEqualTo(new Refusal(Outcome.PROTOCOL_ERROR, Replies.HEADERS_TOO_LARGE,
                "request header section larger than 2000 bytes", true));
        assertThat(other).isEqualTo(new Refusal(Outcome.PROTOCOL_ERROR, HttpResponseStatus.BAD_REQUEST,
                "malformed request", true));
    }

    @Test
    void trace_asFinalRecipient_echoesTheRequest_withoutHopByHopFieldsOrCredentials() {
        HttpRequest trace = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.TRACE, "http://origin.test/t");
        trace.headers().add("Host", "x").add("Max-Forwards", "0").add("Authorization", "Basic c2VjcmV0")
                .add("Cookie", "id=1").add("Proxy-Authorization", "Basic c2VjcmV0").add("Connection", "X-Hop")
                .add("X-Hop", "1").add("X-Kept", "2");
        FullHttpResponse response = Replies.asFinalRecipient(ByteBufAllocator.DEFAULT, trace);
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
            assertThat(response.headers().get("Content-Type")).isEqualTo("message/http");
            assertThat(response.headers().get("Via")).isEqualTo(ProxyHeaders.VIA);
            assertThat(response.content().toString(StandardCharsets.UTF_8)).isEqualTo(
                    "TRACE http://origin.test/t HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\nX-Kept: 2\r\n\r\n");
            assertThat(response.headers().getInt("Content-Length")).isEqualTo(response.content().readableBytes());
        } finally {
            response.release();
        }
    }

    @Test
    void options_asFinalRecipient_listsTheMethods_withAnEmptyBody() {
        HttpRequest options = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "http://origin.test/");
        FullHttpResponse response = Replies.asFinalRecipient(ByteBufAllocator.DEFAULT, options);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(response.headers().get("Allow")).contains("GET", "CONNECT", "TRACE");
        assertThat(response.headers().getInt("Content-Length")).isZero();
        assertThat(response.headers().get("Via")).isEqualTo(ProxyHeaders.VIA);
        assertThat(response.release()).isFalse();
    }

    @Test
    void proxyAuthenticationRequired_carriesTheBasicChallenge_inBothForms() {
        FullHttpResponse full = Replies.full(ByteBufAllocator.DEFAULT, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED,
                "proxy authentication required", false);
        assertThat(full.headers().get("Proxy-Authenticate")).isEqualTo(Replies.CHALLENGE);
        assertThat(full.headers().contains("Connection")).isFalse();
        assertThat(full.content().toString(StandardCharsets.UTF_8)).isEqualTo("proxy authentication required\n");
        full.release();

        ByteBuf raw = Replies.raw(ByteBufAllocator.DEFAULT, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "no");
        assertThat(raw.toString(StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
                + "Proxy-Authenticate: Basic realm=\"sallyport\"\r\nConnection: close\r\n\r\nno\n");
        raw.release();
    }
}

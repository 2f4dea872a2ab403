package dev.sallyport.bench.fuzz;

import dev.sallyport.bench.fuzz.FuzzSession.Verdict;
import dev.sallyport.http.HttpFrontend;
import dev.sallyport.http.HttpOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the decoder fuzzing found, each input shrunk by jqwik to its core and kept as an example,
 * through the same frontend pipeline and stand-in session as the properties.
 */
class FuzzFindingsTest {

    /**
     * {@code HttpProperties}: a byte above 0x7F in the path reached the origin re-encoded (0xE9 as
     * C3 A9), because Netty's codec reads the request line as ISO-8859-1 and writes it as UTF-8.
     * Now the client gets 400 and nothing goes out.
     */
    @Test
    void http_nonAsciiByteInThePath_400_andNothingForwarded() {
        Http http = Http.feed("GET http://origin.test/\u00e9 HTTP/1.1\r\nHost: origin.test\r\n\r\n");

        assertThat(http.replies()).startsWith("HTTP/1.1 400 ");
        assertThat(http.session.requests).isEmpty();
        http.wire.finish(http.session);
    }

    /**
     * {@code HttpProperties}: a CONNECT that core admits at once (a connection pool may hand over
     * a connected channel synchronously) passed the codec's empty {@code LastHttpContent}, decoded
     * after the head, on to the relay, which only carries bytes. Now only bytes go on.
     */
    @Test
    void http_connectAdmittedAtOnce_onlyBytesGoOnToTheRelay() {
        Http http = Http.feed("CONNECT origin.test:80 HTTP/1.1\r\n\r\nearly");

        assertThat(http.replies()).startsWith("HTTP/1.1 200 ");
        assertThat(http.session.requests).hasSize(1);
        assertThat(new String(http.wire.passedOn(), StandardCharsets.ISO_8859_1)).isEqualTo("early");
        http.wire.finish(http.session);
    }

    /** The HTTP frontend with core admitting at once, fed {@code input} in one read. */
    private record Http(Wire wire, FuzzSession session) {
        static Http feed(String input) {
            Wire wire = new Wire();
            FuzzSession session = new FuzzSession(wire, false, HttpOptions.defaults(), Verdict.NOW_OK, Verdict.NOW_OK);
            new HttpFrontend().initChannel(wire.channel, session);
            wire.feed(input.getBytes(StandardCharsets.ISO_8859_1), new int[] {Integer.MAX_VALUE});
            return new Http(wire, session);
        }

        String replies() {
            return new String(wire.replies(), StandardCharsets.ISO_8859_1);
        }
    }
}

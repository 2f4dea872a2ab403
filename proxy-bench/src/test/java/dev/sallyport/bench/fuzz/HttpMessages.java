package dev.sallyport.bench.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * HTTP/1.1 requests as a client could send a proxy, part by part: methods, request targets in
 * every form (absolute, authority, origin, asterisk, malformed), versions, line ends, headers
 * that frame the body (Content-Length and Transfer-Encoding, good and hostile), credentials, and
 * lines around the limits of the request line (256 and 8192 bytes) and header section (1024 and
 * 16384 bytes), then a body, plain or chunked, well formed or not.
 */
final class HttpMessages {

    private static final String[] METHODS = {"GET", "POST", "CONNECT", "TRACE", "OPTIONS", "PUT", "HEAD", "DELETE"};
    private static final String[] ODD_METHODS = {"get", "G T", "GET\u0000", "PRI", "CONNECT\t", "", "\u00ff"};
    private static final String[] HOSTS = {
        "origin.test", "127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "localhost", "a..b", "-a.test", "user@origin.test",
        "user:pw@origin.test", "origin.test.", "0x7f.1", "%6f.test", "[::1", "a b", "",
    };
    private static final String[] PORTS = {"", ":80", ":8000", ":0", ":65535", ":65536", ":", ":-1", ":8o"};
    private static final String[] PATHS = {"/", "", "/a?b=c", "/%00", "/a#frag", "//x", "?q", "/\u00e9"};
    private static final String[] LINE_ENDS = {"\r\n", "\n", "\r", "\r\r\n", "\n\r"};
    private static final String[] CHUNKED_BODIES = {
        "5\r\nhello\r\n0\r\n\r\n", "0\r\n\r\n", "ffffffffffffffffff\r\n", "-1\r\n", "5;ext=1\r\nhello\r\n0\r\nX: y\r\n\r\n",
        "5\r\nhel", "z\r\n\r\n", "5\r\nhelloXX0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n",
    };

    private HttpMessages() {
    }

    /** One request: line, header section and body. */
    static Arbitrary<byte[]> request() {
        Arbitrary<String> head = Combinators.combine(method(), target(), version(), lineEnd(), headers())
                .as((method, target, version, eol, headers) -> method + " " + target + " " + version + eol
                        + String.join(eol, headers) + (headers.isEmpty() ? "" : eol) + eol);
        return Combinators.combine(head, body()).as((h, b) -> latin1(h + b));
    }

    private static Arbitrary<String> method() {
        return Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(METHODS)),
                Tuple.of(1, Arbitraries.of(ODD_METHODS)),
                Tuple.of(1, Arbitraries.strings().ascii().ofMaxLength(12)));
    }

    private static Arbitrary<String> target() {
        Arbitrary<String> absolute = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just("http://")),
                        Tuple.of(1, Arbitraries.of("https://", "HTTP://", "ftp://", "http:/", ""))),
                Arbitraries.of(HOSTS), Arbitraries.of(PORTS), Arbitraries.of(PATHS))
                .as((scheme, host, port, path) -> scheme + host + port + path);
        Arbitrary<String> authority = Combinators.combine(Arbitraries.of(HOSTS), Arbitraries.of(PORTS)).as((h, p) -> h + p);
        // Just under and over the smallest (256) and the default (8192) request-line limit.
        Arbitrary<String> longTarget = Combinators.combine(Arbitraries.of(230, 8160), Arbitraries.integers().between(0, 60))
                .as((n, more) -> "http://origin.test/" + "x".repeat(n + more));
        return Arbitraries.frequencyOf(
                Tuple.of(6, absolute),
                Tuple.of(2, authority),
                Tuple.of(1, Arbitraries.of("*", "/origin-form", "http://origin.test:80*")),
                Tuple.of(1, longTarget),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(40).map(HttpMessages::asLatin1)));
    }

    private static Arbitrary<String> version() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just("HTTP/1.1")),
                Tuple.of(2, Arbitraries.just("HTTP/1.0")),
                Tuple.of(1, Arbitraries.of("HTTP/2.0", "HTTP/1.2", "http/1.1", "HTTP/1.1 ", "", "HTTP/1", "HTTP/01.1")));
    }

    private static Arbitrary<String> lineEnd() {
        return Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.just("\r\n")), Tuple.of(1, Arbitraries.of(LINE_ENDS)));
    }

    private static Arbitrary<List<String>> headers() {
        return header().list().ofMaxSize(8);
    }

    private static Arbitrary<String> header() {
        String basic = "Basic " + Base64.getEncoder().encodeToString("alice:secret".getBytes(StandardCharsets.US_ASCII));
        // Just under and over the smallest (1024) and the default (16384) header-section limit.
        Arbitrary<String> longHeader = Combinators.combine(Arbitraries.of(990, 16340), Arbitraries.integers().between(0, 60))
                .as((n, more) -> "X-Long: " + "v".repeat(n + more));
        Arbitrary<String> anyHeader = Combinators.combine(
                Arbitraries.strings().withChars("abcXYZ-_:; \t").ofMaxLength(12),
                Arbitraries.strings().ofMaxLength(30).map(HttpMessages::asLatin1)).as((n, v) -> n + ": " + v);
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(HOSTS).map(h -> "Host: " + h)),
                Tuple.of(3, Arbitraries.of("0", "5", "11", "-1", "99999999999999999999", "1, 1", "abc", " 5", "0x10", "")
                        .map(v -> "Content-Length: " + v)),
                Tuple.of(3, Arbitraries.of("chunked", "identity", "chunked, identity", "gzip, chunked", "Chunked", " chunked")
                        .map(v -> "Transfer-Encoding: " + v)),
                Tuple.of(2, Arbitraries.of("close", "keep-alive", "Upgrade", "close, X-Y").map(v -> "Connection: " + v)),
                Tuple.of(2, Arbitraries.of(basic, "Basic !!!", "Basic", "Bearer token", "Basic bm9jb2xvbg==", "Digest x")
                        .map(v -> "Proxy-Authorization: " + v)),
                Tuple.of(1, Arbitraries.of("Expect: 100-continue", "Max-Forwards: 0", "Max-Forwards: -1",
                        "Proxy-Connection: keep-alive", " folded continuation", "NoColon", ": empty name", "X-Y : space")),
                Tuple.of(1, longHeader),
                Tuple.of(2, anyHeader));
    }

    private static Arbitrary<String> body() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just("")),
                Tuple.of(2, Arbitraries.strings().ofMaxLength(40).map(HttpMessages::asLatin1)),
                Tuple.of(2, Arbitraries.of(CHUNKED_BODIES)));
    }

    /** Any string, each char cut to one byte (as ISO-8859-1 would carry it). */
    private static String asLatin1(String text) {
        StringBuilder bytes = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            bytes.append((char) (text.charAt(i) & 0xff));
        }
        return bytes.toString();
    }

    private static byte[] latin1(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}

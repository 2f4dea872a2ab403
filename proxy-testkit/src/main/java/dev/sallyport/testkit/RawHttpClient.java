package dev.sallyport.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP/1.1 client that writes requests exactly as the test spells them (absolute-form
 * requests to a proxy, CONNECT, anything malformed) and parses responses off the wire.
 *
 * <pre>{@code
 * try (RawHttpClient client = RawHttpClient.open(proxy.httpAddress())) {
 *     client.send("GET http://127.0.0.1:" + port + "/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
 *     assertThat(client.response().status()).isEqualTo(200);
 *     assertThat(client.connect("127.0.0.1:" + port).status()).isEqualTo(200);    // on a new client
 * }
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class RawHttpClient extends SocketConnection {

    /**
     * One response.
     *
     * @param version the protocol version of the status line, e.g. {@code HTTP/1.1}
     * @param status  the status code
     * @param headers header fields by lower-case name (the last one wins), in order
     * @param body    the body, decoded from chunked transfer coding where used
     */
    @SuppressWarnings("ArrayRecordComponent") // bytes as sent or received, read by the caller, never compared
    public record Response(String version, int status, Map<String, String> headers, byte[] body) {

        /**
         * Copies {@code headers}.
         *
         * @param version the protocol version of the status line, e.g. {@code HTTP/1.1}
         * @param status the status code
         * @param headers header fields by lower-case name (the last one wins), in order
         * @param body the body, decoded from chunked transfer coding where used
         */
        public Response {
            headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        }

        /**
         * The body as UTF-8 text.
         *
         * @return the body text
         */
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /**
         * A header field by name, any case; null when absent.
         *
         * @param name the field name
         * @return the field's value, or null
         */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttpClient(InetSocketAddress address) throws IOException {
        super(address, BufferedInputStream::new);
    }

    /**
     * Connects to {@code address} (a proxy or an origin); nothing is sent yet.
     *
     * @param address the proxy or origin
     * @return the connected client
     * @throws IOException when the connection fails
     */
    public static RawHttpClient open(InetSocketAddress address) throws IOException {
        return new RawHttpClient(address);
    }

    /**
     * A {@code Proxy-Authorization: Basic ...} header line (no line break) for {@code user}.
     *
     * @param user the user's name
     * @param password the password
     * @return the header line
     */
    public static String proxyAuthorization(String user, String password) {
        String pair = Objects.requireNonNull(user, "user") + ":" + Objects.requireNonNull(password, "password");
        return "Proxy-Authorization: Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code text} as ISO-8859-1 bytes, so every char 0-255 goes out as that byte.
     *
     * @param text the bytes to send, as text
     * @throws IOException on a socket error or a read timeout
     */
    public void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Sends {@code CONNECT authority HTTP/1.1} with a Host field and {@code headerLines} (each
     * without its line break); returns the status line and header fields, leaving the tunnel's
     * bytes unread.
     *
     * @param authority the host and port, e.g. {@code example.com:443}
     * @param headerLines more header lines
     * @return the response head
     * @throws IOException on a socket error or a read timeout
     */
    public Response connect(String authority, String... headerLines) throws IOException {
        StringBuilder request = new StringBuilder("CONNECT ").append(authority).append(" HTTP/1.1\r\nHost: ")
                .append(authority).append("\r\n");
        for (String line : headerLines) {
            request.append(line).append("\r\n");
        }
        send(request.append("\r\n").toString());
        return head();
    }

    /**
     * Reads one response to anything but HEAD.
     *
     * @return the response
     * @throws IOException on a socket error or a read timeout
     */
    public Response response() throws IOException {
        return response(false);
    }

    /**
     * Reads one response; {@code toHead} says it answers a HEAD request (no body, whatever the
     * header fields say). The body is framed by Content-Length, chunked coding, or the end of input.
     *
     * @param toHead true for the answer to a HEAD request
     * @return the response
     * @throws IOException on a socket error or a read timeout
     */
    public Response response(boolean toHead) throws IOException {
        Response head = head();
        int status = head.status();
        byte[] body;
        if (toHead || status == 204 || status == 304 || status < 200) {
            body = new byte[0];
        } else if (head.header("content-length") != null) {
            body = read(Integer.parseInt(head.header("content-length")));
        } else if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
            body = chunkedBody();
        } else {
            body = readToEnd();
        }
        return new Response(head.version(), status, head.headers(), body);
    }

    /**
     * Reads a status line and header section only (e.g. the answer to CONNECT); the body stays unread.
     *
     * @return the response head
     * @throws IOException on a socket error or a read timeout
     */
    public Response head() throws IOException {
        String[] statusLine = line().split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            throw new AssertionError("status line: '" + String.join(" ", statusLine) + "' (expected: HTTP/1.x CODE ...)");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return new Response(statusLine[0], Integer.parseInt(statusLine[1]), headers, new byte[0]);
    }

    private byte[] chunkedBody() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int size = chunkSize(); size > 0; size = chunkSize()) {
            all.writeBytes(read(size));
            line();
        }
        while (!line().isEmpty()) {
            // Trailer fields.
        }
        return all.toByteArray();
    }

    private int chunkSize() throws IOException {
        return Integer.parseInt(line().split(";", 2)[0].trim(), 16);
    }

    /** One line without its CR LF. */
    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in().read(); c != '\n'; c = in().read()) {
            if (c < 0) {
                throw new EOFException("connection closed after: '" + line + "'");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}

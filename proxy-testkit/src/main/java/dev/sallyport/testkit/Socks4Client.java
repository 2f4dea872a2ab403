package dev.sallyport.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A SOCKS4 and SOCKS4a client that sends each request as written and hands back the raw reply.
 *
 * <pre>{@code
 * try (Socks4Client client = Socks4Client.open(proxy.socks5Address())) {
 *     assertThat(client.connect("echo.test", port, "").granted()).isTrue();   // SOCKS4a
 * }
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class Socks4Client extends SocketConnection {

    /** Command CONNECT. */
    public static final int CONNECT = 0x01;
    /** Command BIND. */
    public static final int BIND = 0x02;
    /** Reply code: request granted. */
    public static final int GRANTED = 0x5A;
    /** Reply code: request rejected or failed. */
    public static final int REJECTED = 0x5B;

    /**
     * A reply: VN 0, CD, DSTPORT, DSTIP.
     *
     * @param code    CD: {@link #GRANTED} (90) or a failure (91, 92, 93)
     * @param address DSTIP and DSTPORT (for BIND, where the proxy listens or who connected)
     */
    public record Reply(int code, InetSocketAddress address) {
        /**
         * Whether CD is {@link #GRANTED}.
         *
         * @return whether the request was granted
         */
        public boolean granted() {
            return code == GRANTED;
        }
    }

    private Socks4Client(InetSocketAddress proxy) throws IOException {
        super(proxy, BufferedInputStream::new);
    }

    /**
     * Connects to the proxy at {@code proxy}; nothing is sent yet.
     *
     * @param proxy the proxy's address
     * @return the connected client
     * @throws IOException when the connection fails
     */
    public static Socks4Client open(InetSocketAddress proxy) throws IOException {
        return new Socks4Client(proxy);
    }

    /**
     * SOCKS4 CONNECT to an IPv4 address.
     *
     * @param ipv4 the target address
     * @param port the target port
     * @param userId the USERID
     * @return the reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply connect(InetAddress ipv4, int port, String userId) throws IOException {
        sendRequest(CONNECT, ipv4(ipv4), port, userId, null);
        return readReply();
    }

    /**
     * SOCKS4a CONNECT to a host name, which the proxy resolves.
     *
     * @param host the target host
     * @param port the target port
     * @param userId the USERID
     * @return the reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply connect(String host, int port, String userId) throws IOException {
        sendRequest(CONNECT, new byte[] {0, 0, 0, 1}, port, userId, Objects.requireNonNull(host, "host"));
        return readReply();
    }

    /**
     * SOCKS4 BIND expecting a peer from {@code ipv4}; returns the first reply (where the proxy
     * listens). The second, once the peer connected, comes from {@link #readReply()}.
     *
     * @param ipv4 the expected peer's address
     * @param port the expected peer's port
     * @param userId the USERID
     * @return the first reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply bind(InetAddress ipv4, int port, String userId) throws IOException {
        sendRequest(BIND, ipv4(ipv4), port, userId, null);
        return readReply();
    }

    /**
     * Sends VN 4, CD, DSTPORT, DSTIP, USERID, NUL and, when {@code host} is not null (SOCKS4a,
     * DSTIP 0.0.0.x), the host name and NUL; does not read the reply.
     *
     * @param command the CD byte
     * @param ipv4 the DSTIP bytes
     * @param port the DSTPORT
     * @param userId the USERID
     * @param host the host name for SOCKS4a, or null
     * @throws IOException on a socket error or a read timeout
     */
    public void sendRequest(int command, byte[] ipv4, int port, String userId, String host) throws IOException {
        if (ipv4.length != 4 || port < 0 || port > 65535) {
            throw new IllegalArgumentException("ipv4, port: " + ipv4.length + " bytes, " + port
                    + " (expected: 4 bytes, 0-65535)");
        }
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(new byte[] {4, (byte) command, (byte) (port >> 8), (byte) port});
        request.writeBytes(ipv4);
        request.writeBytes(Objects.requireNonNull(userId, "userId").getBytes(StandardCharsets.UTF_8));
        request.write(0);
        if (host != null) {
            request.writeBytes(host.getBytes(StandardCharsets.UTF_8));
            request.write(0);
        }
        send(request.toByteArray());
    }

    /**
     * Reads one 8-byte reply.
     *
     * @return the reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply readReply() throws IOException {
        byte[] reply = read(8);
        if (reply[0] != 0) {
            throw new AssertionError("reply version " + reply[0] + " (expected: 0)");
        }
        byte[] ip = {reply[4], reply[5], reply[6], reply[7]};
        return new Reply(reply[1] & 0xff, new InetSocketAddress(InetAddress.getByAddress(ip), Sockets.port(reply, 2)));
    }

    private static byte[] ipv4(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("address: " + address + " (expected: IPv4; SOCKS4 has no IPv6)");
        }
        return address.getAddress();
    }
}

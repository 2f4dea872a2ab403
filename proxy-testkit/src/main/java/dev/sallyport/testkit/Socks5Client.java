package dev.sallyport.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A SOCKS5 client (RFC 1928, RFC 1929) that sends each message as written and hands back the
 * raw reply: for testing a proxy's handshake, or reaching a target through one step by step.
 *
 * <pre>{@code
 * try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
 *     assertThat(client.login("alice", "pw")).isZero();
 *     assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
 *     client.send("hello".getBytes());
 *     assertThat(client.read(5)).isEqualTo("hello".getBytes());
 * }
 * }</pre>
 *
 * <p>Host names are sent as names (ATYP 3), IP literals as addresses (ATYP 1 or 4); nothing is
 * resolved by the client. Not thread-safe.
 */
public final class Socks5Client extends SocketConnection {

    /** Method: no authentication. */
    public static final int NO_AUTHENTICATION = 0x00;
    /** Method: username and password (RFC 1929). */
    public static final int USERNAME_PASSWORD = 0x02;
    /** The proxy's answer when it accepts none of the offered methods. */
    public static final int NO_ACCEPTABLE_METHODS = 0xFF;
    /** Command CONNECT. */
    public static final int CONNECT = 0x01;
    /** Command BIND. */
    public static final int BIND = 0x02;
    /** Command UDP ASSOCIATE. */
    public static final int UDP_ASSOCIATE = 0x03;

    /**
     * A reply to a request.
     *
     * @param rep   the REP code: 0x00 succeeded, 0x01 general failure, 0x02 not allowed by the
     *              rules, 0x03 network unreachable, 0x04 host unreachable, 0x05 connection
     *              refused, 0x06 TTL expired, 0x07 command not supported, 0x08 address type not
     *              supported
     * @param bound BND.ADDR and BND.PORT (unresolved when the proxy sent a name)
     */
    public record Reply(int rep, InetSocketAddress bound) {
        /**
         * Whether REP is 0x00.
         *
         * @return whether the request succeeded
         */
        public boolean succeeded() {
            return rep == 0;
        }
    }

    private final DataInputStream in;

    private Socks5Client(InetSocketAddress proxy) throws IOException {
        super(proxy, raw -> new DataInputStream(new BufferedInputStream(raw)));
        this.in = (DataInputStream) in();
    }

    /**
     * Connects to the proxy at {@code proxy}; nothing is sent yet.
     *
     * @param proxy the proxy's address
     * @return the connected client
     * @throws IOException when the connection fails
     */
    public static Socks5Client open(InetSocketAddress proxy) throws IOException {
        return new Socks5Client(proxy);
    }

    /**
     * Sends a greeting offering {@code methods}; returns the method the proxy chose.
     *
     * @param methods the method codes to offer
     * @return the chosen method
     * @throws IOException on a socket error or a read timeout
     */
    public int greet(int... methods) throws IOException {
        byte[] greeting = new byte[2 + methods.length];
        greeting[0] = 5;
        greeting[1] = (byte) methods.length;
        for (int i = 0; i < methods.length; i++) {
            greeting[2 + i] = (byte) methods[i];
        }
        send(greeting);
        byte[] choice = read(2);
        expectVersion(choice[0], 5);
        return choice[1] & 0xff;
    }

    /**
     * Greets offering only "no authentication" and expects the proxy to take it.
     *
     * @return this client
     * @throws AssertionError when the proxy chooses otherwise
     * @throws IOException on a socket error or a read timeout
     */
    public Socks5Client noAuth() throws IOException {
        int method = greet(NO_AUTHENTICATION);
        if (method != NO_AUTHENTICATION) {
            throw new AssertionError("proxy chose method 0x" + Integer.toHexString(method) + " (expected: 0x00)");
        }
        return this;
    }

    /**
     * Greets offering only username and password, then logs in (RFC 1929; names and passwords
     * as UTF-8 bytes, at most 255 each); returns the status: 0 for success.
     *
     * @param user the user's name
     * @param password the password
     * @return the RFC 1929 status
     * @throws AssertionError when the proxy does not choose username and password
     * @throws IOException on a socket error or a read timeout
     */
    public int login(String user, String password) throws IOException {
        int method = greet(USERNAME_PASSWORD);
        if (method != USERNAME_PASSWORD) {
            throw new AssertionError("proxy chose method 0x" + Integer.toHexString(method) + " (expected: 0x02)");
        }
        return sendCredentials(user, password);
    }

    /**
     * Sends the RFC 1929 sub-negotiation after the proxy chose 0x02; returns the status.
     *
     * @param user the user's name
     * @param password the password
     * @return the RFC 1929 status
     * @throws IOException on a socket error or a read timeout
     */
    public int sendCredentials(String user, String password) throws IOException {
        byte[] u = Objects.requireNonNull(user, "user").getBytes(StandardCharsets.UTF_8);
        byte[] p = Objects.requireNonNull(password, "password").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.write(1);
        message.write(u.length);
        message.writeBytes(u);
        message.write(p.length);
        message.writeBytes(p);
        send(message.toByteArray());
        byte[] status = read(2);
        expectVersion(status[0], 1);
        return status[1] & 0xff;
    }

    /**
     * CONNECT to {@code host:port}; returns the reply.
     *
     * @param host the target host
     * @param port the target port
     * @return the reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply connect(String host, int port) throws IOException {
        return request(CONNECT, host, port);
    }

    /**
     * CONNECT to {@code target} (its IP when resolved, else its name).
     *
     * @param target the target
     * @return the reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply connect(InetSocketAddress target) throws IOException {
        return request(CONNECT, hostOf(target), target.getPort());
    }

    /**
     * BIND expecting a peer from {@code expectedPeer}; returns the first reply, with the address
     * the proxy listens on. The second reply, once the peer connected, comes from {@link #readReply()}.
     *
     * @param expectedPeer the expected peer
     * @return the first reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply bind(InetSocketAddress expectedPeer) throws IOException {
        return request(BIND, hostOf(expectedPeer), expectedPeer.getPort());
    }

    /**
     * UDP ASSOCIATE naming {@code clientUdp} as the address the client sends from (0.0.0.0:0 for
     * "not known yet"); returns the reply with the relay's address. See {@link Socks5Datagram}.
     *
     * @param clientUdp the client's UDP address
     * @return the reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply udpAssociate(InetSocketAddress clientUdp) throws IOException {
        return request(UDP_ASSOCIATE, hostOf(clientUdp), clientUdp.getPort());
    }

    /**
     * Sends a request and reads its reply.
     *
     * @param command the CMD byte
     * @param host the target host
     * @param port the target port
     * @return the reply
     * @throws IOException on a socket error or a read timeout
     */
    public Reply request(int command, String host, int port) throws IOException {
        sendRequest(command, host, port);
        return readReply();
    }

    /**
     * Sends a request (VER CMD RSV ATYP DST.ADDR DST.PORT) without reading the reply.
     *
     * @param command the CMD byte
     * @param host the target host
     * @param port the target port
     * @throws IOException on a socket error or a read timeout
     */
    public void sendRequest(int command, String host, int port) throws IOException {
        Objects.requireNonNull(host, "host");
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.writeBytes(new byte[] {5, (byte) command, 0});
        Socks5Wire.writeAddress(message, host, port);
        send(message.toByteArray());
    }

    /**
     * Reads one reply (VER REP RSV ATYP BND.ADDR BND.PORT).
     *
     * @return the reply
     * @throws AssertionError when VER is not 5 or RSV not 0
     * @throws IOException on a socket error or a read timeout
     */
    public Reply readReply() throws IOException {
        expectVersion(in.readByte(), 5);
        int rep = in.readUnsignedByte();
        int reserved = in.readUnsignedByte();
        if (reserved != 0) {
            throw new AssertionError("RSV 0x" + Integer.toHexString(reserved) + " (expected: 0x00)");
        }
        return new Reply(rep, Socks5Wire.readAddress(in));
    }

    private static String hostOf(InetSocketAddress address) {
        return address.isUnresolved() ? address.getHostString() : address.getAddress().getHostAddress();
    }

    private static void expectVersion(byte actual, int expected) {
        if (actual != expected) {
            throw new AssertionError("version byte 0x" + Integer.toHexString(actual & 0xff) + " (expected: 0x0"
                    + expected + ")");
        }
    }
}

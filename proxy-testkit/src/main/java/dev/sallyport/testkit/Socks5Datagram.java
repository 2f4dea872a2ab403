package dev.sallyport.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One SOCKS5 UDP datagram (RFC 1928 section 7): RSV RSV FRAG ATYP DST.ADDR DST.PORT DATA. The
 * client sends {@link #encode()}d datagrams to the relay address {@link Socks5Client#udpAssociate}
 * returned, and {@link #decode(DatagramPacket)}s the relay's answers, whose address is the source.
 *
 * @param fragment FRAG: 0 for a whole datagram
 * @param address  the destination (sent) or the source (received); a name when unresolved
 * @param payload  DATA (the array is not copied)
 */
@SuppressWarnings("ArrayRecordComponent") // bytes as sent or received, read by the caller, never compared
public record Socks5Datagram(int fragment, InetSocketAddress address, byte[] payload) {

    /**
     * Checks the components: none null, the fragment 0 to 255.
     *
     * @param fragment FRAG: 0 for a whole datagram
     * @param address the destination (sent) or the source (received); a name when unresolved
     * @param payload DATA (the array is not copied)
     */
    public Socks5Datagram {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(payload, "payload");
        if (fragment < 0 || fragment > 255) {
            throw new IllegalArgumentException("fragment: " + fragment + " (expected: 0-255)");
        }
    }

    /**
     * A whole datagram (FRAG 0) for {@code host:port}: an IP literal or a name.
     *
     * @param host the target host
     * @param port the target port
     * @param payload the payload
     * @return the datagram
     */
    public static Socks5Datagram to(String host, int port, byte[] payload) {
        return new Socks5Datagram(0, InetSocketAddress.createUnresolved(host, port), payload);
    }

    /**
     * A whole datagram (FRAG 0) for {@code target}.
     *
     * @param target the target
     * @param payload the payload
     * @return the datagram
     */
    public static Socks5Datagram to(InetSocketAddress target, byte[] payload) {
        return new Socks5Datagram(0, target, payload);
    }

    /**
     * The datagram's bytes.
     *
     * @return the bytes
     */
    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 262);
        out.writeBytes(new byte[] {0, 0, (byte) fragment});
        String host = address.isUnresolved() ? address.getHostString() : address.getAddress().getHostAddress();
        Socks5Wire.writeAddress(out, host, address.getPort());
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /**
     * A packet carrying {@link #encode()} to {@code relay}.
     *
     * @param relay the relay's address
     * @return the packet
     */
    public DatagramPacket packet(InetSocketAddress relay) {
        byte[] raw = encode();
        return new DatagramPacket(raw, raw.length, relay);
    }

    /**
     * Parses a received datagram.
     *
     * @param packet the received packet
     * @return the datagram
     * @throws IllegalArgumentException when it is not a SOCKS5 UDP datagram
     */
    public static Socks5Datagram decode(DatagramPacket packet) {
        DataInputStream in = new DataInputStream(
                new ByteArrayInputStream(packet.getData(), packet.getOffset(), packet.getLength()));
        try {
            int reserved = in.readUnsignedShort();
            if (reserved != 0) {
                throw new IllegalArgumentException("RSV: " + reserved + " (expected: 0)");
            }
            int fragment = in.readUnsignedByte();
            InetSocketAddress address = Socks5Wire.readAddress(in);
            return new Socks5Datagram(fragment, address, in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalArgumentException("datagram: " + packet.getLength() + " bytes (expected: a SOCKS5 UDP header)", e);
        }
    }

    /**
     * The payload as UTF-8 text.
     *
     * @return the payload text
     */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }
}

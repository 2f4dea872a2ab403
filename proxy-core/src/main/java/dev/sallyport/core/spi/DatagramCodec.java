package dev.sallyport.core.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The wire format of the datagrams of a UDP association, supplied by the frontend to
 * {@link Session#associate}: it reads the header a client puts in front of each datagram and
 * writes the header of each reply. Core owns the socket, the policy and the accounting; the codec
 * only translates. Called on the association's event loop; must not throw, must not block, and
 * never keeps or releases the buffers it is given.
 */
public interface DatagramCodec {

    /**
     * Reads the header at the start of a datagram from the client. On success the datagram's
     * reader index is left at the first payload byte; on a drop it may be anywhere.
     *
     * @param datagram the datagram, header first
     * @return the target, or a drop with its reason
     */
    Decoded decode(ByteBuf datagram);

    /**
     * The header to put in front of a payload that came from {@code source}, for the client.
     *
     * @param alloc the allocator for the header
     * @param source the payload's source
     * @return the header
     */
    ByteBuf header(ByteBufAllocator alloc, InetSocketAddress source);

    /**
     * What {@link #decode} found: a destination as the client named it (a host name or an IP
     * literal, and a port), or the reason to drop the datagram, short and bounded, used as a
     * metrics reason (e.g. {@code udp-fragment}).
     *
     * @param host       the destination host, or {@code null} for a drop
     * @param port       the destination port
     * @param dropReason why the datagram is dropped, or {@code null}
     */
    record Decoded(String host, int port, String dropReason) {
        /**
         * Checks that exactly one of {@code host} and {@code dropReason} is set and the port is 0 to 65535.
         *
         * @param host the destination host, or {@code null} for a drop
         * @param port the destination port
         * @param dropReason why the datagram is dropped, or {@code null}
         */
        public Decoded {
            if ((host == null) == (dropReason == null)) {
                throw new IllegalArgumentException("exactly one of host and dropReason (host: " + host + ", dropReason: "
                        + dropReason + ")");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
            }
        }

        /**
         * A datagram for {@code host:port}.
         *
         * @param host the target host, a name or an IP literal
         * @param port the target port
         * @return the decoded header
         */
        public static Decoded to(String host, int port) {
            return new Decoded(Objects.requireNonNull(host, "host"), port, null);
        }

        /**
         * A datagram to drop, counted under {@code reason}.
         *
         * @param reason the reason, e.g. {@code udp-fragment}
         * @return the decoded header
         */
        public static Decoded drop(String reason) {
            return new Decoded(null, 0, Objects.requireNonNull(reason, "reason"));
        }

        /**
         * Whether the datagram is dropped.
         *
         * @return whether the datagram is dropped
         */
        public boolean dropped() {
            return dropReason != null;
        }
    }
}

package dev.sallyport.socks5;

import dev.sallyport.core.spi.DatagramCodec.Decoded;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** The RFC 1928 section 7 UDP header, decoded from hostile input and encoded for replies. */
class Socks5DatagramsTest {

    private static final Socks5Datagrams CODEC = Socks5Datagrams.INSTANCE;

    private static Decoded decode(int... bytes) {
        byte[] raw = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        ByteBuf buf = Unpooled.wrappedBuffer(raw);
        try {
            Decoded decoded = CODEC.decode(buf);
            if (!decoded.dropped()) {
                assertThat(buf.toString(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hi");
            }
            return decoded;
        } finally {
            buf.release();
        }
    }

    @Test
    void ipv4_destination_andThePayloadLeftReadable() {
        assertThat(decode(0, 0, 0, 1, 10, 1, 2, 3, 0x1f, 0x90, 'h', 'i')).isEqualTo(Decoded.to("10.1.2.3", 8080));
    }

    @Test
    void ipv6_destination() {
        assertThat(decode(0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53, 'h', 'i'))
                .isEqualTo(Decoded.to("::1", 53));
    }

    @Test
    void name_destination() {
        assertThat(decode(0, 0, 0, 3, 6, 'a', '.', 't', 'e', 's', 't', 0, 53, 'h', 'i')).isEqualTo(Decoded.to("a.test", 53));
    }

    @Test
    void fragment_dropped() {
        assertThat(decode(0, 0, 1, 1, 10, 1, 2, 3, 0, 53, 'h', 'i')).isEqualTo(Decoded.drop("udp-fragment"));
    }

    @Test
    void everyTruncatedHeader_droppedAsMalformed() {
        int[] whole = {0, 0, 0, 3, 6, 'a', '.', 't', 'e', 's', 't', 0, 53};
        for (int length = 0; length < whole.length; length++) {
            assertThat(decode(java.util.Arrays.copyOf(whole, length))).as("first %d bytes", length)
                    .isEqualTo(Decoded.drop("udp-malformed"));
        }
    }

    @Test
    void unknownAddressType_emptyName_badName_andPortZero_droppedAsMalformed() {
        assertThat(decode(0, 0, 0, 9, 10, 1, 2, 3, 0, 53)).isEqualTo(Decoded.drop("udp-malformed"));
        assertThat(decode(0, 0, 0, 3, 0, 0, 53)).isEqualTo(Decoded.drop("udp-malformed"));
        assertThat(decode(0, 0, 0, 3, 3, 'a', ' ', 'b', 0, 53)).isEqualTo(Decoded.drop("udp-malformed"));
        assertThat(decode(0, 0, 0, 1, 10, 1, 2, 3, 0, 0)).isEqualTo(Decoded.drop("udp-malformed"));
    }

    @Test
    void replyHeader_carriesTheSourceAddress() throws Exception {
        ByteBuf v4 = CODEC.header(ByteBufAllocator.DEFAULT, new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 8080));
        ByteBuf v6 = CODEC.header(ByteBufAllocator.DEFAULT, new InetSocketAddress(InetAddress.getByName("::1"), 53));
        try {
            assertThat(ByteBufUtil.hexDump(v4)).isEqualTo("000000010a0102031f90");
            assertThat(ByteBufUtil.hexDump(v6)).isEqualTo("00000004" + "00000000000000000000000000000001" + "0035");
        } finally {
            v4.release();
            v6.release();
        }
    }
}

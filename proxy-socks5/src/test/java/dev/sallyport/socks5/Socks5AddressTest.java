package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one SOCKS5 address codec: what it writes it reads back, and what it refuses, it refuses alike everywhere. */
class Socks5AddressTest {

    private static final Socks5Address CODEC = Socks5Address.CODEC;

    private static String roundTrip(Socks5AddressType type, String address) {
        ByteBuf buf = Unpooled.buffer();
        try {
            CODEC.encodeAddress(type, address, buf);
            String decoded = CODEC.decodeAddress(type, buf);
            assertThat(buf.isReadable()).as("every byte read").isFalse();
            return decoded;
        } finally {
            buf.release();
        }
    }

    private static Socks5Address.Refused refusal(Socks5AddressType type, int... bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(EmbeddedSocks.bytes(bytes));
        try {
            return (Socks5Address.Refused) org.assertj.core.api.Assertions.catchThrowable(() -> CODEC.decodeAddress(type, buf));
        } finally {
            buf.release();
        }
    }

    @Test
    void ipv4_ipv6_andNames_roundTrip() {
        assertThat(roundTrip(Socks5AddressType.IPv4, "10.1.2.3")).isEqualTo("10.1.2.3");
        assertThat(roundTrip(Socks5AddressType.IPv6, "2001:db8::1")).isEqualTo("2001:db8::1");
        assertThat(roundTrip(Socks5AddressType.IPv6, "::1")).isEqualTo("::1");
        assertThat(roundTrip(Socks5AddressType.DOMAIN, "echo.test")).isEqualTo("echo.test");
    }

    @Test
    void longestName_roundTrips_andLongerOnesAreRefusedAsUnreachable() {
        String longest = ("a".repeat(63) + ".").repeat(3) + "b".repeat(61);
        assertThat(longest).hasSize(253);
        assertThat(roundTrip(Socks5AddressType.DOMAIN, longest)).isEqualTo(longest);

        ByteBuf buf = Unpooled.buffer();
        try {
            CODEC.encodeAddress(Socks5AddressType.DOMAIN, "c".repeat(255), buf);
            assertThat(buf.readableBytes()).isEqualTo(256);
            assertThatThrownBy(() -> CODEC.decodeAddress(Socks5AddressType.DOMAIN, buf))
                    .isInstanceOfSatisfying(Socks5Address.Refused.class,
                            refused -> assertThat(refused.outcome()).isEqualTo(Outcome.DNS_FAILED));
        } finally {
            buf.release();
        }
    }

    @Test
    void unspecifiedAddress_isWrittenAsZeros() {
        ByteBuf buf = Unpooled.buffer();
        try {
            CODEC.encodeAddress(Socks5AddressType.IPv4, null, buf);
            CODEC.encodeAddress(Socks5AddressType.IPv6, null, buf);
            assertThat(ByteBufUtil.hexDump(buf)).isEqualTo("00".repeat(20));
        } finally {
            buf.release();
        }
    }

    @Test
    void unknownType_refusedAsUnsupportedAddress_onReadAndOnWrite() {
        Socks5AddressType unknown = Socks5AddressType.valueOf((byte) 9);
        assertThat(refusal(unknown, 127, 0, 0, 1).outcome()).isEqualTo(Outcome.UNSUPPORTED_ADDRESS);
        ByteBuf buf = Unpooled.buffer();
        try {
            assertThatThrownBy(() -> CODEC.encodeAddress(unknown, "127.0.0.1", buf))
                    .isInstanceOf(EncoderException.class).hasMessage("address type: 9 (expected: 1, 3 or 4)");
        } finally {
            buf.release();
        }
    }

    @Test
    void truncatedOrEmpty_refusedAsProtocolErrors_badName_asUnreachable() {
        assertThat(refusal(Socks5AddressType.IPv4, 127, 0, 0).outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertThat(refusal(Socks5AddressType.IPv6, 0, 0, 0, 0).outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertThat(refusal(Socks5AddressType.DOMAIN).outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertThat(refusal(Socks5AddressType.DOMAIN, 5, 'a', 'b').outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertThat(refusal(Socks5AddressType.DOMAIN, 0).outcome()).isEqualTo(Outcome.PROTOCOL_ERROR);
        assertThat(refusal(Socks5AddressType.DOMAIN, 3, 'a', ' ', 'b').outcome()).isEqualTo(Outcome.DNS_FAILED);
    }

    @Test
    void replyAndDatagramHeader_writeTheSameAddressBytes() throws Exception {
        for (String ip : new String[] {"10.1.2.3", "2001:db8::1"}) {
            InetSocketAddress source = new InetSocketAddress(InetAddress.getByName(ip), 8080);
            EmbeddedChannel channel = new EmbeddedChannel(new io.netty.handler.codec.socksx.v5.Socks5ServerEncoder(CODEC));
            channel.writeOutbound(Socks5.reply(Socks5CommandStatus.SUCCESS, source));
            ByteBuf reply = channel.readOutbound();
            ByteBuf header = Socks5Datagrams.INSTANCE.header(channel.alloc(), source);
            try {
                // A reply is VER REP RSV + ATYP ADDR PORT; a UDP header is RSV RSV FRAG + ATYP ADDR PORT.
                assertThat(ByteBufUtil.hexDump(reply, 3, reply.readableBytes() - 3))
                        .isEqualTo(ByteBufUtil.hexDump(header, 3, header.readableBytes() - 3));
            } finally {
                reply.release();
                header.release();
            }
            assertThat(channel.finish()).isFalse();
        }
    }
}

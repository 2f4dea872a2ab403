package dev.sallyport.bench.fuzz;

import dev.sallyport.bench.fuzz.FuzzSession.Verdict;
import dev.sallyport.core.spi.DatagramCodec;
import dev.sallyport.core.spi.DatagramCodec.Decoded;
import dev.sallyport.core.spi.HostNames;
import dev.sallyport.socks5.Socks5Frontend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.NetUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import static dev.sallyport.bench.fuzz.Inputs.concat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SOCKS5 UDP request header (RFC 1928 section 7) through the codec our SOCKS5 pipeline hands
 * core with a UDP ASSOCIATE (taken from a real handshake, so it is the one core gets). Any
 * datagram is either dropped with a known reason or read to a valid host and a port other than
 * 0, with the payload left exactly where the header ends; the codec never throws, never
 * releases the datagram and allocates nothing it keeps. A header the codec writes for any source
 * address reads back to that address and leaves the payload intact.
 */
abstract class DatagramProperties extends FuzzContainer {

    private DatagramCodec codec;

    @Property
    void header_anyDatagram_destinationOrDrop(@ForAll("datagrams") byte[] datagram) {
        Watchdog.run(datagram, () -> {
            UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
            ByteBuf buf = alloc.heapBuffer(datagram.length).writeBytes(datagram);
            try {
                Decoded decoded = codec().decode(buf);
                assertThat(buf.refCnt()).as("the codec never releases the datagram").isEqualTo(1);
                if (decoded.dropped()) {
                    assertThat(decoded.dropReason()).isIn("udp-fragment", "udp-malformed");
                    Statistics.collect("dropped " + decoded.dropReason());
                } else {
                    String host = decoded.host();
                    boolean ip = NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
                    assertThat(ip || HostNames.isValid(host)).as("destination host: %s", host).isTrue();
                    assertThat(decoded.port()).isBetween(1, 65535);
                    assertThat(buf.readerIndex()).as("the payload starts after the header").isBetween(8, datagram.length);
                    Statistics.collect(ip ? "to an IP address" : "to a name");
                }
            } finally {
                buf.release();
            }
            Wire.assertAllReleased(alloc);
        });
    }

    @Property
    void header_writtenForAnySource_readsBackToIt(@ForAll("sources") InetSocketAddress source, @ForAll byte[] payload)
            throws UnknownHostException {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        ByteBuf header = codec().header(alloc, source);
        ByteBuf datagram = alloc.heapBuffer().writeBytes(header).writeBytes(payload);
        header.release();
        try {
            Decoded decoded = codec().decode(datagram);
            assertThat(decoded.dropped()).isFalse();
            assertThat(InetAddress.getByName(decoded.host())).isEqualTo(source.getAddress());
            assertThat(decoded.port()).isEqualTo(source.getPort());
            byte[] rest = new byte[datagram.readableBytes()];
            datagram.readBytes(rest);
            assertThat(rest).isEqualTo(payload);
        } finally {
            datagram.release();
        }
        Wire.assertAllReleased(alloc);
    }

    @Provide
    Arbitrary<byte[]> datagrams() {
        return Inputs.mix(SocksMessages.datagram(), 300);
    }

    @Provide
    Arbitrary<InetSocketAddress> sources() {
        return Combinators.combine(Arbitraries.of(4, 16), Arbitraries.longs(), Arbitraries.integers().between(1, 65535))
                .as((length, seed, port) -> new InetSocketAddress(address(Inputs.seeded(seed, length)), port));
    }

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    /** The codec our SOCKS5 frontend hands core for a UDP ASSOCIATE, from a handshake on an embedded channel. */
    private DatagramCodec codec() {
        if (codec == null) {
            Wire wire = new Wire();
            FuzzSession session = new FuzzSession(wire, false, null, Verdict.NOW_OK, Verdict.NOW_OK);
            new Socks5Frontend().initChannel(wire.channel, session);
            wire.feed(concat(SocksMessages.GREETING_NO_AUTH, Inputs.bytes(5, 3, 0, 1, 0, 0, 0, 0, 0, 0)),
                    new int[] {Integer.MAX_VALUE});
            codec = session.codec;
            wire.finish(session);
            assertThat(codec).as("the codec of a UDP ASSOCIATE").isNotNull();
        }
        return codec;
    }
}

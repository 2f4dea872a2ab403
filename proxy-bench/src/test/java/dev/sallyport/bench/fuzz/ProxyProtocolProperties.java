package dev.sallyport.bench.fuzz;

import dev.sallyport.core.internal.ClientAddress;
import dev.sallyport.core.internal.ProxyProtocolGate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Queue;

import static dev.sallyport.bench.fuzz.Inputs.concat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PROXY protocol gate of a listener (issue 15) on an {@link EmbeddedChannel}, trusted or not,
 * header required or not, fed valid v1 and v2 headers (every family, LOCAL and PROXY, TLVs) bent
 * by the structure-aware mutations, and random bytes, in random reads, with or without an end of
 * input. Whatever comes: nothing is thrown out of the pipeline, every buffer comes back, the gate
 * decides at most once; a client address is set only from a trusted source, only when Netty's own
 * decoder reads the same address from the same bytes, and then exactly the bytes after the header
 * go on; an untrusted source that starts with a signature is refused; without a header the
 * bytes go on untouched (or, required from a trusted source, the connection is refused).
 */
abstract class ProxyProtocolProperties extends FuzzContainer {

    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** The gate's decision, as the listener would hear it. */
    private static final class Decision implements ProxyProtocolGate.Listener {
        String outcome;
        int decisions;

        @Override
        public void clientKnown(Channel channel, boolean countClient) {
            decisions++;
            outcome = "known";
        }

        @Override
        public void refuse(Channel channel, String reason, String detail) {
            decisions++;
            outcome = "refused " + reason;
            channel.close();
        }
    }

    /** What Netty's decoder alone reads from the whole input: the client (null for none), and the bytes after. */
    private record Reference(boolean decoded, InetSocketAddress client, byte[] rest) {
    }

    @Property
    void gate_anyInput_neverThrowsNeverLeaks_andOnlyATrustedValidHeaderNamesTheClient(
            @ForAll("inputs") byte[] input, @ForAll("cuts") int[] cuts, @ForAll boolean trusted,
            @ForAll boolean required, @ForAll boolean endOfInput) {
        Watchdog.run(input, () -> {
            UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
            EmbeddedChannel channel = new EmbeddedChannel();
            channel.config().setAllocator(alloc);
            Decision decision = new Decision();
            channel.pipeline().addLast(new ProxyProtocolGate(decision, Duration.ofSeconds(10), trusted, required));
            for (byte[] piece : Inputs.pieces(input, cuts)) {
                if (!channel.isOpen()) {
                    break;
                }
                channel.writeInbound(alloc.heapBuffer(piece.length).writeBytes(piece));
            }
            if (endOfInput && channel.isOpen()) {
                channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            }
            InetSocketAddress client = ClientAddress.fromHeader(channel);
            byte[] passed = drain(channel.inboundMessages());
            channel.close();
            assertThat(drain(channel.inboundMessages())).isEmpty();
            assertThat(channel.finish()).as("messages left after close").isFalse();
            Wire.assertAllReleased(alloc);

            assertThat(decision.decisions).as("decisions").isLessThanOrEqualTo(1);
            int signature = signature(input);
            if (!trusted) {
                assertThat(client).as("an untrusted source never names the client").isNull();
                if (signature > 0) {
                    assertThat(decision.outcome).isEqualTo("refused untrusted");
                }
            }
            if (signature == 0) {
                boolean refuse = trusted && required;
                assertThat(decision.outcome).isEqualTo(refuse ? "refused missing" : "known");
                assertThat(passed).as("bytes without a header go on untouched").isEqualTo(refuse ? new byte[0] : input);
            }
            if ("known".equals(decision.outcome) && signature > 0) {
                Reference reference = reference(input);
                assertThat(reference.decoded()).as("Netty's decoder reads a header too").isTrue();
                assertThat(client).isEqualTo(reference.client());
                assertThat(passed).as("the bytes after the header").isEqualTo(reference.rest());
            } else {
                assertThat(client).as("no header accepted, no client named").isNull();
            }
            Statistics.collect(decision.outcome == null ? "undecided" : decision.outcome,
                    signature < 0 ? "prefix" : signature == 0 ? "no header" : "v" + signature);
        });
    }

    /** 1 or 2 when {@code input} starts with that version's signature, 0 when it does not, -1 when too short to tell. */
    private static int signature(byte[] input) {
        byte[] v1 = "PROXY ".getBytes(StandardCharsets.US_ASCII);
        boolean maybeV1 = startsLike(input, v1);
        boolean maybeV2 = startsLike(input, V2_SIGNATURE);
        if (maybeV1) {
            return input.length >= v1.length ? 1 : -1;
        }
        if (maybeV2) {
            return input.length >= V2_SIGNATURE.length ? 2 : -1;
        }
        return 0;
    }

    private static boolean startsLike(byte[] input, byte[] prefix) {
        int n = Math.min(input.length, prefix.length);
        return Arrays.equals(input, 0, n, prefix, 0, n);
    }

    private static Reference reference(byte[] input) {
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        try {
            channel.writeInbound(channel.alloc().heapBuffer(input.length).writeBytes(input));
        } catch (RuntimeException malformed) {
            channel.finishAndReleaseAll();
            return new Reference(false, null, null);
        }
        Object first = channel.readInbound();
        if (!(first instanceof HAProxyMessage message)) {
            ReferenceCountUtil.release(first);
            channel.finishAndReleaseAll();
            return new Reference(false, null, null);
        }
        InetSocketAddress client = null;
        boolean tcp = message.proxiedProtocol() == HAProxyProxiedProtocol.TCP4
                || message.proxiedProtocol() == HAProxyProxiedProtocol.TCP6;
        boolean udp = message.proxiedProtocol() == HAProxyProxiedProtocol.UDP4
                || message.proxiedProtocol() == HAProxyProxiedProtocol.UDP6;
        if (message.command() == HAProxyCommand.PROXY && tcp) {
            client = new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(message.sourceAddress()),
                    message.sourcePort());
        }
        message.release();
        byte[] rest = drain(channel.inboundMessages());
        channel.finishAndReleaseAll();
        // The gate refuses a UDP source on a TCP connection: no reference to compare with.
        return new Reference(message.command() == HAProxyCommand.LOCAL || !udp, client, rest);
    }

    private static byte[] drain(Queue<Object> messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object message; (message = messages.poll()) != null; ) {
            try {
                assertThat(message).as("only bytes go on past the gate").isInstanceOf(ByteBuf.class);
                ByteBuf buf = (ByteBuf) message;
                byte[] raw = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), raw);
                out.writeBytes(raw);
            } finally {
                ReferenceCountUtil.release(message);
            }
        }
        return out.toByteArray();
    }

    @Provide
    Arbitrary<int[]> cuts() {
        return Inputs.cuts();
    }

    @Provide
    Arbitrary<byte[]> inputs() {
        return Inputs.mix(Combinators.combine(Arbitraries.oneOf(v1(), v2()), Inputs.random(16)).as(Inputs::concat), 120);
    }

    private static Arbitrary<Integer> ports() {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, Arbitraries.of(0, 1, 65535)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 65535)));
    }

    /** A v1 line: TCP4, TCP6 or UNKNOWN, addresses from a seed. */
    private static Arbitrary<byte[]> v1() {
        return Combinators.combine(Arbitraries.of("TCP4", "TCP6", "UNKNOWN"), Arbitraries.longs(), ports(), ports())
                .as((family, seed, from, to) -> {
                    if (family.equals("UNKNOWN")) {
                        return "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
                    }
                    int length = family.equals("TCP4") ? 4 : 16;
                    String line = "PROXY " + family + " " + NetUtil.bytesToIpAddress(Inputs.seeded(seed, length)) + " "
                            + NetUtil.bytesToIpAddress(Inputs.seeded(~seed, length)) + " " + from + " " + to + "\r\n";
                    return line.getBytes(StandardCharsets.US_ASCII);
                });
    }

    /** A v2 header: LOCAL or PROXY, any family byte, its address block from a seed, then TLV-like bytes. */
    private static Arbitrary<byte[]> v2() {
        return Combinators.combine(Arbitraries.of(0x20, 0x21), Arbitraries.of(0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32),
                Arbitraries.longs(), Inputs.random(24)).as((command, family, seed, tlvs) -> {
                    int addresses = switch (family >> 4) {
                        case 1 -> 12;
                        case 2 -> 36;
                        case 3 -> 216;
                        default -> 0;
                    };
                    ByteBuffer header = ByteBuffer.allocate(16 + addresses + tlvs.length);
                    header.put(V2_SIGNATURE).put((byte) (int) command).put((byte) (int) family)
                            .putShort((short) (addresses + tlvs.length)).put(Inputs.seeded(seed, addresses)).put(tlvs);
                    return header.array();
                });
    }
}

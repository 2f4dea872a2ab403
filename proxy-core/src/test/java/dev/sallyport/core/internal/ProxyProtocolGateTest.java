package dev.sallyport.core.internal;

import dev.sallyport.core.ProxyProtocolMode;
import dev.sallyport.core.internal.net.ProxyHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PROXY protocol gate on an embedded channel: the signature is told at the first byte that
 * rules it out, whole or byte by byte; trust is exact (no address embedded in another counts); the
 * headers written towards targets read back with Netty's own decoder.
 */
class ProxyProtocolGateTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Records the gate's decision and, once the client is known, passes bytes on like the frontends' handlers. */
    private static final class Decision implements ProxyProtocolGate.Listener {
        final List<String> events = new ArrayList<>();

        @Override
        public void clientKnown(Channel channel, boolean countClient) {
            events.add("known " + ClientAddress.fromHeader(channel));
        }

        @Override
        public void refuse(Channel channel, String reason, String detail) {
            events.add("refused " + reason);
            channel.close();
        }
    }

    private static int signature(String text) {
        ByteBuf in = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        try {
            return ProxyProtocolGate.signature(in);
        } finally {
            in.release();
        }
    }

    @Test
    void signature_decidesAtTheFirstByteThatRulesItOut() {
        assertThat(signature("\u0005\u0001\u0000")).as("SOCKS5 greeting").isZero();
        assertThat(signature("POST / HTTP/1.1")).as("HTTP POST").isZero();
        assertThat(signature("PRO")).as("maybe v1").isEqualTo(-1);
        assertThat(signature("PROXY ")).isEqualTo(1);
        assertThat(signature("PROXYZ")).isZero();
        assertThat(signature("\r\n\r\n\u0000\r\nQUI")).as("maybe v2").isEqualTo(-1);
        assertThat(signature("\r\n\r\n\u0000\r\nQUIT\n")).isEqualTo(2);
        assertThat(signature("\r\n\r\nX")).isZero();
        assertThat(signature("")).isEqualTo(-1);
    }

    @Test
    void gate_v1HeaderByteByByte_setsTheClient_andPassesTheRest() {
        Decision decision = new Decision();
        EmbeddedChannel channel = new EmbeddedChannel(new ProxyProtocolGate(decision, TIMEOUT, true, true));
        byte[] input = "PROXY TCP4 203.0.113.7 192.0.2.1 4711 1080\r\nabc".getBytes(StandardCharsets.US_ASCII);
        for (byte b : input) {
            if (!decision.events.isEmpty()) {
                break;
            }
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertThat(decision.events).containsExactly("known /203.0.113.7:4711");
        assertThat(channel.pipeline().names()).doesNotContain(ProxyProtocolGate.NAME);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void gate_untrustedHeader_isRefused_andTheClientNeverSet() {
        Decision decision = new Decision();
        EmbeddedChannel channel = new EmbeddedChannel(new ProxyProtocolGate(decision, TIMEOUT, false, false));
        channel.writeInbound(Unpooled.copiedBuffer("PROXY TCP4 203.0.113.7 192.0.2.1 4711 1080\r\n", StandardCharsets.US_ASCII));
        assertThat(decision.events).containsExactly("refused untrusted");
        assertThat(ClientAddress.fromHeader(channel)).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void gate_optionalWithoutHeader_replaysTheBytes() {
        Decision decision = new Decision();
        EmbeddedChannel channel = new EmbeddedChannel(new ProxyProtocolGate(decision, TIMEOUT, true, false));
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {5, 1, 0}));
        assertThat(decision.events).containsExactly("known null");
        ByteBuf passed = channel.readInbound();
        assertThat(ByteBufUtil.getBytes(passed)).containsExactly(5, 1, 0);
        passed.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void trust_isExact_noAddressEmbeddedInAnotherCounts() throws Exception {
        ProxyProtocolPolicy policy = ProxyProtocolPolicy.of("proxyProtocol", ProxyProtocolMode.REQUIRED, "127.0.0.2");
        assertThat(policy.trusts(InetAddress.getByName("127.0.0.2"))).isTrue();
        assertThat(policy.trusts(InetAddress.getByName("::ffff:127.0.0.2"))).as("IPv4-mapped").isTrue();
        assertThat(policy.trusts(InetAddress.getByName("2002:7f00:2::1"))).as("6to4").isFalse();
        assertThat(policy.trusts(InetAddress.getByName("64:ff9b::7f00:2"))).as("NAT64").isFalse();
        assertThat(policy.trusts(InetAddress.getByName("127.0.0.3"))).isFalse();
    }

    @Test
    void upstreamHeaders_readBackWithNettysDecoder() throws Exception {
        InetSocketAddress client = new InetSocketAddress(InetAddress.getByName("203.0.113.7"), 4711);
        InetSocketAddress v6Listener = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 1080);
        for (int version = 1; version <= 2; version++) {
            EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
            channel.writeInbound(ProxyHeaders.encode(version, client, v6Listener, ByteBufAllocator.DEFAULT));
            HAProxyMessage message = channel.readInbound();
            try {
                // Families differ: the IPv4 client goes IPv4-mapped next to the IPv6 listener.
                assertThat(message.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP6);
                assertThat(InetAddress.getByName(message.sourceAddress()).getHostAddress()).isEqualTo("203.0.113.7");
                assertThat(message.sourcePort()).isEqualTo(4711);
                assertThat(InetAddress.getByName(message.destinationAddress())).isEqualTo(v6Listener.getAddress());
                assertThat(message.destinationPort()).isEqualTo(1080);
            } finally {
                message.release();
            }
            assertThat(channel.finish()).isFalse();
        }
    }
}

package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.socks5.EmbeddedSocks.Feed;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static dev.sallyport.socks5.EmbeddedSocks.bytes;
import static dev.sallyport.socks5.EmbeddedSocks.concat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SOCKS4 and SOCKS4a as our pipeline decodes them ({@link Socks4RequestDecoder}, then the
 * handler) on an {@link io.netty.channel.embedded.EmbeddedChannel}, fed whole, in fragments and
 * byte by byte, with hostile input refused by 0x5B. Every test ends with {@code finish()} false.
 */
class Socks4DecodingTest {

    private static final byte[] REJECTED = bytes(0, 0x5b, 0, 0, 0, 0, 0, 0);
    private static final InetSocketAddress BOUND = new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);
    private static final InetSocketAddress TARGET = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);

    private static byte[] socks4(int command, int port, int[] ip, String user, String host) {
        byte[] userBytes = user.getBytes(StandardCharsets.ISO_8859_1);
        byte[] head = concat(bytes(4, command, port >> 8, port & 0xff), bytes(ip), userBytes, bytes(0));
        return host == null ? head : concat(head, host.getBytes(StandardCharsets.ISO_8859_1), bytes(0));
    }

    private static ProxyRequest request(Command command, String host, int port) {
        return new ProxyRequest(Protocol.SOCKS4, command, EmbeddedSocks.CLIENT, EmbeddedSocks.LISTENER,
                Credentials.none(), host, port);
    }

    private static void assertRejected(EmbeddedSocks socks, Outcome outcome) {
        assertThat(socks.replies()).containsExactly(REJECTED);
        assertThat(socks.failure).isEqualTo(outcome);
        assertThat(socks.channel.isActive()).as("closed after the reply").isFalse();
        assertThat(socks.requests).isEmpty();
        socks.finish();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void connectIpv4_granted_andEarlyBytesFlowIntoTheRelay(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(feed, concat(socks4(1, 8080, new int[] {127, 0, 0, 1}, "fred", null), "early".getBytes(StandardCharsets.US_ASCII)));
        assertThat(socks.requests).containsExactly(request(Command.CONNECT, "127.0.0.1", 8080));
        assertThat(socks.channel.config().isAutoRead()).as("reading waits for the dial").isFalse();
        socks.dial.setSuccess(EmbeddedSocks.outbound(BOUND, TARGET));
        assertThat(socks.replies()).containsExactly(0, 0x5a, 50000 >> 8, 50000 & 0xff, 127, 0, 0, 1);
        assertThat(new String(socks.passedOn(), StandardCharsets.US_ASCII)).isEqualTo("early");
        assertThat(socks.relayed).isSameAs(socks.dial.getNow());
        assertThat(socks.handshakeGone()).isTrue();
        socks.finish();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void socks4a_hostName_asSent(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(feed, socks4(1, 443, new int[] {0, 0, 0, 1}, "", "Echo.Test"));
        assertThat(socks.requests).containsExactly(request(Command.CONNECT, "Echo.Test", 443));
        socks.channel.close();
        socks.finish();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void bind_portZero_twoGrants_withTheListeningAndThePeersAddress(Feed feed) {
        // Netty's DefaultSocks4CommandRequest refuses DSTPORT 0, which a BIND client may send.
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(feed, socks4(2, 0, new int[] {127, 0, 0, 1}, "u", null));
        assertThat(socks.requests).containsExactly(request(Command.BIND, "127.0.0.1", 0));
        socks.listening.accept(new InetSocketAddress(InetAddress.getLoopbackAddress(), 40001));
        socks.dial.setSuccess(EmbeddedSocks.outbound(BOUND, new InetSocketAddress(InetAddress.getLoopbackAddress(), 40002)));
        assertThat(socks.replies()).containsExactly(concat(
                bytes(0, 0x5a, 40001 >> 8, 40001 & 0xff, 127, 0, 0, 1), bytes(0, 0x5a, 40002 >> 8, 40002 & 0xff, 127, 0, 0, 1)));
        assertThat(socks.handshakeGone()).isTrue();
        socks.finish();
    }

    @Test
    void grant_forAnIpv6Address_carriesZeros() throws Exception {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(Feed.WHOLE, socks4(1, 80, new int[] {127, 0, 0, 1}, "", null));
        socks.dial.setSuccess(EmbeddedSocks.outbound(new InetSocketAddress(InetAddress.getByName("::1"), 50000), TARGET));
        assertThat(socks.replies()).containsExactly(0, 0x5a, 0, 0, 0, 0, 0, 0);
        socks.finish();
    }

    @Test
    void userIdOf255Bytes_accepted_of256WithoutNul_rejected() {
        EmbeddedSocks longest = EmbeddedSocks.socks4(false);
        longest.send(Feed.FRAGMENTS, socks4(1, 80, new int[] {127, 0, 0, 1}, "u".repeat(255), null));
        assertThat(longest.requests).hasSize(1);
        longest.channel.close();
        longest.finish();

        EmbeddedSocks endless = EmbeddedSocks.socks4(false);
        endless.send(Feed.BYTE_BY_BYTE, concat(bytes(4, 1, 0, 80, 127, 0, 0, 1), "u".repeat(256).getBytes(StandardCharsets.US_ASCII)));
        assertRejected(endless, Outcome.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void socks4a_hostWithoutNulWithin255Bytes_rejected(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(feed, concat(socks4(1, 80, new int[] {0, 0, 0, 9}, "", null), "h".repeat(300).getBytes(StandardCharsets.US_ASCII)));
        assertRejected(socks, Outcome.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void socks4a_namesNoResolverAnswers_rejectedAsDnsFailure(Feed feed) {
        for (String host : new String[] {"", "bad name", "b\u00c3\u00bccher.test", "a".repeat(254)}) {
            EmbeddedSocks socks = EmbeddedSocks.socks4(false);
            socks.send(feed, socks4(1, 80, new int[] {0, 0, 0, 1}, "", host));
            assertRejected(socks, Outcome.DNS_FAILED);
        }
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void wrongVersion_rejected(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(feed, 5, 1, 0, 80, 127, 0, 0, 1, 0);
        assertRejected(socks, Outcome.PROTOCOL_ERROR);
    }

    @Test
    void unknownCommand_rejected() {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(Feed.WHOLE, socks4(3, 80, new int[] {127, 0, 0, 1}, "", null));
        assertRejected(socks, Outcome.UNSUPPORTED_COMMAND);
    }

    @Test
    void authenticationOn_everyRequestRejected() {
        EmbeddedSocks socks = EmbeddedSocks.socks4(true);
        socks.send(Feed.WHOLE, socks4(1, 80, new int[] {127, 0, 0, 1}, "alice", null));
        assertRejected(socks, Outcome.AUTH_FAILED);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void truncatedThenEndOfInput_rejected(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(feed, 4, 1, 0, 80, 127, 0, 0, 1, 'u', 's');
        socks.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertRejected(socks, Outcome.PROTOCOL_ERROR);
    }

    @Test
    void endOfInputBeforeAnyByte_closesWithoutReply() {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(socks.replies()).isEmpty();
        assertThat(socks.failure).isEqualTo(Outcome.CLIENT_CLOSED);
        assertThat(socks.channel.isActive()).isFalse();
        socks.finish();
    }

    @Test
    void handshakeTimeout_rejected() {
        EmbeddedSocks socks = EmbeddedSocks.socks4(false);
        socks.send(Feed.WHOLE, 4, 1, 0);
        socks.channel.pipeline().fireUserEventTriggered(SessionEvent.HANDSHAKE_TIMEOUT);
        assertRejected(socks, Outcome.HANDSHAKE_TIMEOUT);
    }
}

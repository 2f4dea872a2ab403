package dev.sallyport.socks5;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.SessionEvent;
import dev.sallyport.core.spi.SessionException;
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
 * The SOCKS5 handshake as our pipeline decodes it (Netty's decoders, our phase handlers) on an
 * {@link io.netty.channel.embedded.EmbeddedChannel}: greeting, RFC 1929 login and request, each
 * fed whole, in fragments and byte by byte, and hostile input answered with the reply its phase
 * allows. Every test ends with {@code finish()} false; leak detection is paranoid.
 */
class Socks5DecodingTest {

    private static final byte[] GREETING_NO_AUTH = bytes(5, 1, 0);
    private static final byte[] GREETING_PASSWORD = bytes(5, 2, 0, 2);
    private static final byte[] CONNECT_IPV4 = bytes(5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90);
    private static final byte[] NO_AUTH_SELECTED = bytes(5, 0);
    private static final byte[] NONE_ACCEPTABLE = bytes(5, 0xff);
    private static final byte[] LOGIN_OK = bytes(1, 0);
    private static final byte[] LOGIN_FAILED = bytes(1, 1);
    private static final InetSocketAddress BOUND = new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);
    private static final InetSocketAddress TARGET = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);

    private static byte[] login(String user, String password) {
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        return concat(bytes(1, u.length), u, bytes(p.length), p);
    }

    private static byte[] connectDomain(String host, int port) {
        byte[] name = host.getBytes(StandardCharsets.ISO_8859_1);
        return concat(bytes(5, 1, 0, 3, name.length), name, bytes(port >> 8, port & 0xff));
    }

    /** REP with BND 0.0.0.0:0, as every refusal has it. */
    private static byte[] refusal(int rep) {
        return bytes(5, rep, 0, 1, 0, 0, 0, 0, 0, 0);
    }

    private static final byte[] SUCCEEDED_BOUND = bytes(5, 0, 0, 1, 127, 0, 0, 1, 50000 >> 8, 50000 & 0xff);

    private static ProxyRequest request(Command command, String host, int port) {
        return new ProxyRequest(Protocol.SOCKS5, command, EmbeddedSocks.CLIENT, EmbeddedSocks.LISTENER,
                Credentials.none(), host, port);
    }

    private static void assertRefused(EmbeddedSocks socks, byte[] reply, Outcome outcome) {
        assertThat(socks.replies()).containsExactly(reply);
        assertThat(socks.failure).isEqualTo(outcome);
        assertThat(socks.channel.isActive()).as("closed after the reply").isFalse();
        assertThat(socks.requests).as("nothing reached core").isEmpty();
        socks.finish();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void noAuth_connectIpv4_succeeds_andTheHandshakeLeavesThePipeline(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, GREETING_NO_AUTH);
        assertThat(socks.replies()).containsExactly(NO_AUTH_SELECTED);
        socks.send(feed, CONNECT_IPV4);
        assertThat(socks.requests).containsExactly(request(Command.CONNECT, "127.0.0.1", 8080));
        assertThat(socks.replies()).as("nothing before the dial's verdict").isEmpty();

        socks.dial.setSuccess(EmbeddedSocks.outbound(BOUND, TARGET));
        assertThat(socks.replies()).containsExactly(SUCCEEDED_BOUND);
        assertThat(socks.relayed).isSameAs(socks.dial.getNow());
        assertThat(socks.handshakeGone()).isTrue();
        assertThat(socks.failure).isNull();
        socks.finish();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void pipelined_greetingRequestAndData_theDataFlowsIntoTheRelay(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, concat(GREETING_NO_AUTH, CONNECT_IPV4, "early".getBytes(StandardCharsets.US_ASCII)));
        assertThat(socks.requests).hasSize(1);
        assertThat(socks.passedOn()).as("held while the proxy dials").isEmpty();
        socks.send(feed, " and more".getBytes(StandardCharsets.US_ASCII));

        socks.dial.setSuccess(EmbeddedSocks.outbound(BOUND, TARGET));
        assertThat(socks.replies()).containsExactly(concat(NO_AUTH_SELECTED, SUCCEEDED_BOUND));
        assertThat(new String(socks.passedOn(), StandardCharsets.US_ASCII)).isEqualTo("early and more");
        socks.finish();
    }

    @Test
    void pipelined_everySplitPoint_samePathAndSameBytes() {
        byte[] all = concat(GREETING_PASSWORD, login("alice", "secret"), connectDomain("echo.test", 443), bytes('x'));
        for (int split = 1; split < all.length; split++) {
            EmbeddedSocks socks = EmbeddedSocks.socks5(true);
            socks.send(Feed.WHOLE, java.util.Arrays.copyOfRange(all, 0, split));
            socks.send(Feed.WHOLE, java.util.Arrays.copyOfRange(all, split, all.length));
            assertThat(socks.logins).as("split at %d", split).containsExactly(Credentials.password("alice", "secret"));
            assertThat(socks.requests).as("split at %d", split).containsExactly(request(Command.CONNECT, "echo.test", 443));
            socks.dial.setSuccess(EmbeddedSocks.outbound(BOUND, TARGET));
            assertThat(socks.replies()).containsExactly(concat(bytes(5, 2), LOGIN_OK, SUCCEEDED_BOUND));
            assertThat(socks.passedOn()).containsExactly('x');
            socks.finish();
        }
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void login_passwordOf255Bytes_andUtf8Credentials_reachCoreExactly(Feed feed) {
        String user = "jürgen-€";
        String password = "é".repeat(127) + "x"; // 2 * 127 + 1 = 255 bytes of UTF-8
        assertThat(password.getBytes(StandardCharsets.UTF_8)).hasSize(255);
        EmbeddedSocks socks = EmbeddedSocks.socks5(true);
        socks.send(feed, concat(GREETING_PASSWORD, login(user, password)));
        assertThat(socks.replies()).containsExactly(concat(bytes(5, 2), LOGIN_OK));
        assertThat(socks.logins).containsExactly(Credentials.password(user, password));
        socks.finish();
    }

    @Test
    void login_answeredLater_requestSentMeanwhileWaits_thenIsServed() {
        EmbeddedSocks socks = EmbeddedSocks.socks5(true);
        socks.pendingLogin = socks.channel.eventLoop().newPromise();
        socks.send(Feed.WHOLE, concat(GREETING_PASSWORD, login("alice", "secret")));
        assertThat(socks.channel.config().isAutoRead()).as("reading pauses while core checks").isFalse();
        socks.send(Feed.BYTE_BY_BYTE, concat(CONNECT_IPV4, bytes('x')));
        assertThat(socks.requests).as("no request before the login's verdict").isEmpty();

        socks.pendingLogin.setSuccess(Principal.of("alice"));
        assertThat(socks.channel.config().isAutoRead()).isTrue();
        assertThat(socks.requests).containsExactly(request(Command.CONNECT, "127.0.0.1", 8080));
        socks.dial.setSuccess(EmbeddedSocks.outbound(BOUND, TARGET));
        assertThat(socks.replies()).containsExactly(concat(bytes(5, 2), LOGIN_OK, SUCCEEDED_BOUND));
        assertThat(socks.passedOn()).containsExactly('x');
        socks.finish();
    }

    @Test
    void login_refusedLater_failureStatus_andTheWaitingRequestIsDropped() {
        EmbeddedSocks socks = EmbeddedSocks.socks5(true);
        socks.pendingLogin = socks.channel.eventLoop().newPromise();
        socks.send(Feed.WHOLE, concat(GREETING_PASSWORD, login("alice", "wrong"), CONNECT_IPV4));
        socks.pendingLogin.setFailure(new SessionException(Outcome.AUTH_FAILED, null, "bad password", null));
        assertRefused(socks, concat(bytes(5, 2), LOGIN_FAILED), Outcome.AUTH_FAILED);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void request_byDomainAndIpv6_hostsAsTheClientNamedThem(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, concat(GREETING_NO_AUTH, connectDomain("Echo.Test", 80)));
        assertThat(socks.requests).containsExactly(request(Command.CONNECT, "Echo.Test", 80));
        socks.channel.close();
        socks.replies();
        socks.finish();

        EmbeddedSocks v6 = EmbeddedSocks.socks5(false);
        v6.send(feed, concat(GREETING_NO_AUTH, bytes(5, 1, 0, 4, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53)));
        assertThat(v6.requests).containsExactly(request(Command.CONNECT, "2001:db8::1", 53));
        v6.channel.close();
        v6.replies();
        v6.finish();
    }

    @Test
    void request_longestValidName_accepted() {
        String name = ("a".repeat(63) + ".").repeat(3) + "b".repeat(61); // 253 characters
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(Feed.BYTE_BY_BYTE, concat(GREETING_NO_AUTH, connectDomain(name, 80)));
        assertThat(socks.requests).containsExactly(request(Command.CONNECT, name, 80));
        socks.channel.close();
        socks.replies();
        socks.finish();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void greeting_wrongVersion_noAcceptableMethod(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, 6, 1, 0);
        assertRefused(socks, NONE_ACCEPTABLE, Outcome.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void greeting_zeroMethods_noAcceptableMethod(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, concat(bytes(5, 0), CONNECT_IPV4));
        assertRefused(socks, NONE_ACCEPTABLE, Outcome.AUTH_FAILED);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void greeting_255UnknownMethods_noAcceptableMethod(Feed feed) {
        byte[] greeting = new byte[2 + 255];
        greeting[0] = 5;
        greeting[1] = (byte) 255;
        java.util.Arrays.fill(greeting, 2, greeting.length, (byte) 0x7f);
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, greeting);
        assertRefused(socks, NONE_ACCEPTABLE, Outcome.AUTH_FAILED);
    }

    @Test
    void greeting_passwordRequiredButOnlyNoAuthOffered_noAcceptableMethod() {
        EmbeddedSocks socks = EmbeddedSocks.socks5(true);
        socks.send(Feed.WHOLE, GREETING_NO_AUTH);
        assertRefused(socks, NONE_ACCEPTABLE, Outcome.AUTH_FAILED);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void login_wrongSubnegotiationVersion_failureStatus(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(true);
        socks.send(feed, concat(GREETING_PASSWORD, bytes(5, 1, 'a', 1, 'b')));
        assertRefused(socks, concat(bytes(5, 2), LOGIN_FAILED), Outcome.PROTOCOL_ERROR);
        assertThat(socks.logins).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void login_emptyUserName_failureStatus(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(true);
        socks.send(feed, concat(GREETING_PASSWORD, bytes(1, 0, 1, 'p')));
        assertRefused(socks, concat(bytes(5, 2), LOGIN_FAILED), Outcome.PROTOCOL_ERROR);
        assertThat(socks.logins).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void request_wrongVersion_rep01(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, concat(GREETING_NO_AUTH, bytes(4, 1, 0, 1, 127, 0, 0, 1, 0, 80)));
        assertRefused(socks, concat(NO_AUTH_SELECTED, refusal(0x01)), Outcome.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void request_unknownCommand_rep07(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, concat(GREETING_NO_AUTH, bytes(5, 0x7f, 0, 1, 127, 0, 0, 1, 0, 80)));
        assertRefused(socks, concat(NO_AUTH_SELECTED, refusal(0x07)), Outcome.UNSUPPORTED_COMMAND);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void request_unknownAddressType_rep08(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, concat(GREETING_NO_AUTH, bytes(5, 1, 0, 9, 127, 0, 0, 1, 0, 80)));
        assertRefused(socks, concat(NO_AUTH_SELECTED, refusal(0x08)), Outcome.UNSUPPORTED_ADDRESS);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void request_emptyName_rep01(Feed feed) {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(feed, concat(GREETING_NO_AUTH, bytes(5, 1, 0, 3, 0, 0, 80)));
        assertRefused(socks, concat(NO_AUTH_SELECTED, refusal(0x01)), Outcome.PROTOCOL_ERROR);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void request_namesNoResolverAnswers_rep04(Feed feed) {
        String[] names = {
            "bad name;rm",             // characters outside the host-name rule
            "a".repeat(255),           // longer than 253
            "b\u00c3\u00bccher.test",  // UTF-8 bytes of a non-ASCII name: refused, never punycode
            "a".repeat(64) + ".test",  // a label over 63 (IDNA, inside Netty's message type)
        };
        for (String name : names) {
            EmbeddedSocks socks = EmbeddedSocks.socks5(false);
            socks.send(feed, concat(GREETING_NO_AUTH, connectDomain(name, 80)));
            assertRefused(socks, concat(NO_AUTH_SELECTED, refusal(0x04)), Outcome.DNS_FAILED);
        }
    }

    @Test
    void refused_thenMoreBytes_discardedWithoutLeaks() {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(Feed.WHOLE, concat(GREETING_NO_AUTH, bytes(5, 0x7f, 0, 1, 127, 0, 0, 1, 0, 80), new byte[100]));
        socks.send(Feed.FRAGMENTS, new byte[20]);
        assertRefused(socks, concat(NO_AUTH_SELECTED, refusal(0x07)), Outcome.UNSUPPORTED_COMMAND);
    }

    @ParameterizedTest
    @EnumSource(Feed.class)
    void truncatedThenEndOfInput_eachPhaseAnswersWithItsRefusal(Feed feed) {
        // NMETHODS 255 with two methods sent, then the end of input.
        EmbeddedSocks greeting = EmbeddedSocks.socks5(false);
        greeting.send(feed, 5, 255, 0, 2);
        endOfInput(greeting);
        assertRefused(greeting, NONE_ACCEPTABLE, Outcome.PROTOCOL_ERROR);

        EmbeddedSocks login = EmbeddedSocks.socks5(true);
        login.send(feed, concat(GREETING_PASSWORD, bytes(1, 255, 'a', 'l')));
        endOfInput(login);
        assertRefused(login, concat(bytes(5, 2), LOGIN_FAILED), Outcome.PROTOCOL_ERROR);

        EmbeddedSocks request = EmbeddedSocks.socks5(false);
        request.send(feed, concat(GREETING_NO_AUTH, bytes(5, 1, 0, 3, 255, 'a', 'b')));
        endOfInput(request);
        assertRefused(request, concat(NO_AUTH_SELECTED, refusal(0x01)), Outcome.PROTOCOL_ERROR);
    }

    @Test
    void endOfInputBetweenMessages_closesWithoutReply() {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(Feed.WHOLE, GREETING_NO_AUTH);
        endOfInput(socks);
        assertRefused(socks, NO_AUTH_SELECTED, Outcome.CLIENT_CLOSED);
    }

    @Test
    void handshakeTimeout_eachPhaseAnswersWithItsRefusal() {
        EmbeddedSocks greeting = EmbeddedSocks.socks5(false);
        greeting.send(Feed.WHOLE, 5, 2);
        timeout(greeting);
        assertRefused(greeting, NONE_ACCEPTABLE, Outcome.HANDSHAKE_TIMEOUT);

        EmbeddedSocks login = EmbeddedSocks.socks5(true);
        login.pendingLogin = login.channel.eventLoop().newPromise();
        login.send(Feed.WHOLE, concat(GREETING_PASSWORD, login("alice", "secret")));
        timeout(login);
        login.pendingLogin.setSuccess(Principal.of("alice"));
        assertRefused(login, concat(bytes(5, 2), LOGIN_FAILED), Outcome.HANDSHAKE_TIMEOUT);

        EmbeddedSocks request = EmbeddedSocks.socks5(false);
        request.send(Feed.WHOLE, GREETING_NO_AUTH);
        timeout(request);
        assertRefused(request, concat(NO_AUTH_SELECTED, refusal(0x01)), Outcome.HANDSHAKE_TIMEOUT);
    }

    @Test
    void connect_refusedByCore_repFromTheOutcome() {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(Feed.WHOLE, concat(GREETING_NO_AUTH, CONNECT_IPV4, bytes('x')));
        socks.dial.setFailure(new SessionException(Outcome.CONNECTION_REFUSED, null, "refused", null));
        assertThat(socks.replies()).containsExactly(concat(NO_AUTH_SELECTED, refusal(0x05)));
        assertThat(socks.failure).isEqualTo(Outcome.CONNECTION_REFUSED);
        assertThat(socks.channel.isActive()).isFalse();
        socks.finish();
    }

    @Test
    void bind_twoReplies_thenTheTunnel() {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(Feed.BYTE_BY_BYTE, concat(GREETING_NO_AUTH, bytes(5, 2, 0, 1, 0, 0, 0, 0, 0, 0)));
        assertThat(socks.requests).containsExactly(request(Command.BIND, "0.0.0.0", 0));
        socks.listening.accept(new InetSocketAddress(InetAddress.getLoopbackAddress(), 40001));
        InetSocketAddress peer = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40002);
        socks.dial.setSuccess(EmbeddedSocks.outbound(BOUND, peer));
        assertThat(socks.replies()).containsExactly(concat(NO_AUTH_SELECTED,
                bytes(5, 0, 0, 1, 127, 0, 0, 1, 40001 >> 8, 40001 & 0xff),
                bytes(5, 0, 0, 1, 127, 0, 0, 1, 40002 >> 8, 40002 & 0xff)));
        assertThat(socks.relayed).isSameAs(socks.dial.getNow());
        assertThat(socks.handshakeGone()).isTrue();
        socks.finish();
    }

    @Test
    void udpAssociate_replyWithTheRelayAddress_inIpv6_andTheControlConnectionKeepsReading() throws Exception {
        EmbeddedSocks socks = EmbeddedSocks.socks5(false);
        socks.send(Feed.FRAGMENTS, concat(GREETING_NO_AUTH, bytes(5, 3, 0, 1, 0, 0, 0, 0, 0x9c, 0x40)));
        assertThat(socks.requests).containsExactly(request(Command.UDP_ASSOCIATE, "0.0.0.0", 40000));
        assertThat(socks.codec).isSameAs(Socks5Datagrams.INSTANCE);
        socks.association.setSuccess(new InetSocketAddress(InetAddress.getByName("::1"), 5353));
        assertThat(socks.replies()).containsExactly(concat(NO_AUTH_SELECTED,
                bytes(5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5353 >> 8, 5353 & 0xff)));
        assertThat(socks.channel.config().isAutoRead()).isTrue();
        assertThat(socks.handshakeGone()).isTrue();
        socks.finish();
    }

    @Test
    void utf8Fields_bytesIntact_andACharAboveLatin1_refused() {
        String utf8Bytes = new String("pässwörd€".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        assertThat(Socks5Login.utf8(utf8Bytes)).isEqualTo("pässwörd€");
        assertThat(Socks5Login.utf8("plain")).isSameAs("plain");
        assertThat(Socks5Login.utf8("\ufffd")).isNull();
    }

    private static void endOfInput(EmbeddedSocks socks) {
        socks.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }

    private static void timeout(EmbeddedSocks socks) {
        socks.channel.pipeline().fireUserEventTriggered(SessionEvent.HANDSHAKE_TIMEOUT);
    }
}

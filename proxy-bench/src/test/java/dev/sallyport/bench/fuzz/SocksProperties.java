package dev.sallyport.bench.fuzz;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.bench.fuzz.FuzzSession.Verdict;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.HostNames;
import dev.sallyport.socks5.Socks4Frontend;
import dev.sallyport.socks5.Socks5Frontend;
import io.netty.util.NetUtil;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.Arrays;

import static dev.sallyport.bench.fuzz.Inputs.concat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SOCKS handshakes' decoders as the frontends run them (Netty's SOCKS5 decoders with our
 * address codec and phase handlers; our SOCKS4/4a decoder), fed any bytes in any reads, with core
 * answering logins and admissions in every way it can. Whatever the input, it ends in exactly one
 * of: a request handed to core, the phase's refusal and a close, or a wait for more bytes that an
 * end of input or the handshake timeout turns into a refusal (or, between messages, a plain
 * close). Nothing is thrown out of the pipeline, every reply is one the protocol allows, in order,
 * nothing follows a refusal, bytes passed on to the relay are exactly the input's tail, and every
 * buffer is released ({@link Wire#finish}). One nested class per decoder, so that each runs
 * in a class (and a fork) of its own.
 */
abstract class SocksProperties extends FuzzContainer {

    private static final int MAX_RANDOM = 600;

    /** The SOCKS5 greeting (method selection, RFC 1928 section 3). */
    abstract static class Greeting extends SocksProperties {
        @Property
        void socks5Greeting_anyInput_handedRefusedOrWaiting(@ForAll("greetings") byte[] input, @ForAll("cuts") int[] cuts,
                                                            @ForAll boolean authentication, @ForAll Verdict login,
                                                            @ForAll Verdict admission, @ForAll boolean timeout) {
            run(new Socks5Frontend(), input, cuts, authentication, login, admission, timeout);
        }

        @Provide
        Arbitrary<byte[]> greetings() {
            return Inputs.mix(SocksMessages.greeting(), MAX_RANDOM);
        }
    }

    /** The RFC 1929 login, after a greeting that offers it. */
    abstract static class Login extends SocksProperties {
        @Property
        void socks5Login_anyInput_handedRefusedOrWaiting(@ForAll("logins") byte[] login, @ForAll("cuts") int[] cuts,
                                                         @ForAll Verdict verdict, @ForAll Verdict admission,
                                                         @ForAll boolean timeout) {
            run(new Socks5Frontend(), concat(SocksMessages.GREETING_PASSWORD, login), cuts, true, verdict, admission, timeout);
        }

        @Provide
        Arbitrary<byte[]> logins() {
            return Inputs.mix(SocksMessages.login(), MAX_RANDOM);
        }
    }

    /** The SOCKS5 request (RFC 1928 section 4), after a valid greeting and, with authentication, login. */
    abstract static class Request extends SocksProperties {
        @Property
        void socks5Request_anyInput_handedRefusedOrWaiting(@ForAll("requests") byte[] request, @ForAll("cuts") int[] cuts,
                                                           @ForAll boolean authentication, @ForAll Verdict admission,
                                                           @ForAll boolean timeout) {
            byte[] before = authentication ? concat(SocksMessages.GREETING_PASSWORD, SocksMessages.LOGIN)
                    : SocksMessages.GREETING_NO_AUTH;
            run(new Socks5Frontend(), concat(before, request), cuts, authentication, Verdict.NOW_OK, admission, timeout);
        }

        @Provide
        Arbitrary<byte[]> requests() {
            return Inputs.mix(SocksMessages.request(), MAX_RANDOM);
        }
    }

    /** A SOCKS4 or SOCKS4a request. */
    abstract static class Socks4 extends SocksProperties {
        @Property
        void socks4_anyInput_handedRefusedOrWaiting(@ForAll("socks4") byte[] input, @ForAll("cuts") int[] cuts,
                                                    @ForAll boolean authentication, @ForAll Verdict admission,
                                                    @ForAll boolean timeout) {
            run(new Socks4Frontend(), input, cuts, authentication, Verdict.NOW_OK, admission, timeout);
        }

        @Provide
        Arbitrary<byte[]> socks4() {
            return Inputs.mix(SocksMessages.socks4(), MAX_RANDOM);
        }
    }

    @Provide
    Arbitrary<int[]> cuts() {
        return Inputs.cuts();
    }

    private static void run(Frontend frontend, byte[] input, int[] cuts, boolean authentication, Verdict login,
                            Verdict admission, boolean timeout) {
        Watchdog.run(input, () -> {
            Wire wire = new Wire();
            FuzzSession session = new FuzzSession(wire, authentication, null, login, admission);
            frontend.initChannel(wire.channel, session);
            wire.feed(input, cuts);
            session.settle();
            Statistics.collect(frontend.name(), settle(wire, session, input, timeout, frontend instanceof Socks5Frontend));
            wire.finish(session);
        });
    }

    /** Ends a wait for more bytes as {@code timeout} says, checks the rules, and names where the input ended. */
    private static String settle(Wire wire, FuzzSession session, byte[] input, boolean timeout, boolean socks5) {
        String ending = "";
        if (wire.channel.isOpen() && session.failures.isEmpty() && session.requests.isEmpty()) {
            boolean loginPending = session.loginPending();
            if (timeout || loginPending) {
                wire.handshakeTimeout();
                ending = loginPending ? "login pending, then timeout: " : "waiting, then timeout: ";
            } else {
                wire.endOfInput();
                ending = "waiting, then end of input: ";
            }
            assertThat(wire.channel.isOpen()).as("a waiting handshake ends with the input or the timeout").isFalse();
        }
        Replies replies = socks5 ? Replies.socks5(wire.replies()) : Replies.socks4(wire.replies());
        boolean open = wire.channel.isOpen();
        assertThat(session.failures).as("one outcome recorded exactly when the connection closed").hasSize(open ? 0 : 1);
        if (!open && session.failures.get(0) != Outcome.CLIENT_CLOSED) {
            assertThat(replies.refused()).as("closed with the phase's refusal").isTrue();
        }
        assertThat(session.logins).hasSizeLessThanOrEqualTo(session.authenticationRequired() && socks5 ? 1 : 0);
        assertThat(session.requests).hasSizeLessThanOrEqualTo(1);
        byte[] passed = wire.passedOn();
        if (passed.length > 0) {
            assertThat(replies.granted()).as("bytes pass on only once the tunnel runs").isPositive();
            assertThat(Arrays.copyOfRange(input, input.length - passed.length, input.length))
                    .as("the tunnel gets the input's tail, unchanged").isEqualTo(passed);
        }
        if (session.requests.isEmpty()) {
            return ending + (open ? "open" : "closed " + session.failures.get(0));
        }
        ProxyRequest request = session.requests.get(0);
        assertThat(request.command()).isIn(Command.CONNECT, Command.BIND, Command.UDP_ASSOCIATE);
        String host = request.targetHost();
        assertThat(HostNames.isValid(host) || NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host))
                .as("host handed to core: %s", host).isTrue();
        assertThat(request.targetPort()).isBetween(0, 65535);
        if (session.authenticationRequired()) {
            assertThat(socks5).as("SOCKS4 has no password: nothing reaches core with authentication on").isTrue();
            assertThat(session.logins).as("a request only after a login").hasSize(1);
        }
        return "handed " + request.command() + (open ? ", open" : ", closed " + session.failures.get(0));
    }

    /** The replies a client got, parsed and checked: each one a reply its phase may send, nothing after a refusal. */
    record Replies(int granted, boolean refused) {

        static Replies socks5(byte[] r) {
            if (r.length == 0) {
                return new Replies(0, false);
            }
            assertThat(r.length).as("method selection").isGreaterThanOrEqualTo(2);
            assertThat(r[0]).isEqualTo((byte) 5);
            int method = r[1] & 0xff;
            assertThat(method).isIn(0x00, 0x02, 0xff);
            boolean refused = method == 0xff;
            int at = 2;
            if (method == 0x02 && at < r.length) {
                assertThat(r.length - at).as("login status").isGreaterThanOrEqualTo(2);
                assertThat(r[at]).isEqualTo((byte) 1);
                assertThat(r[at + 1]).isIn((byte) 0, (byte) 1);
                refused = r[at + 1] == 1;
                at += 2;
            }
            int granted = 0;
            while (at < r.length) {
                assertThat(refused).as("nothing after a refusal").isFalse();
                assertThat(r.length - at).as("a reply").isGreaterThanOrEqualTo(10);
                assertThat(r[at]).isEqualTo((byte) 5);
                int rep = r[at + 1] & 0xff;
                assertThat(rep).isBetween(0, 8);
                assertThat(r[at + 2]).isEqualTo((byte) 0);
                assertThat(r[at + 3]).isIn((byte) 1, (byte) 4);
                at += 4 + (r[at + 3] == 1 ? 4 : 16) + 2;
                refused = rep != 0;
                granted += refused ? 0 : 1;
            }
            assertThat(at).as("replies end on a boundary").isEqualTo(r.length);
            return new Replies(granted, refused);
        }

        static Replies socks4(byte[] r) {
            assertThat(r.length % 8).as("8-byte replies").isZero();
            int granted = 0;
            boolean refused = false;
            for (int at = 0; at < r.length; at += 8) {
                assertThat(refused).as("nothing after a refusal").isFalse();
                assertThat(r[at]).isZero();
                assertThat(r[at + 1]).isIn((byte) 0x5a, (byte) 0x5b);
                refused = r[at + 1] == 0x5b;
                granted += refused ? 0 : 1;
            }
            return new Replies(granted, refused);
        }
    }
}

package dev.sallyport.core.internal.forward;

import dev.sallyport.core.internal.policy.Cidr;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Who the client is: X-Forwarded-For believed from trusted callers only, read from the right. */
class ForwardedForTest {

    private static final InetSocketAddress PEER = new InetSocketAddress(address("10.0.0.1"), 5000);
    private static final List<Cidr> TRUSTED = List.of(Cidr.parse("t", "10.0.0.0/8"), Cidr.parse("t", "fd00::/8"));

    private static InetAddress address(String text) {
        return io.netty.util.NetUtil.createInetAddressFromIpAddressString(text);
    }

    private static InetAddress client(InetSocketAddress peer, String... headers) {
        return ForwardedFor.client(peer, List.of(headers), TRUSTED).getAddress();
    }

    @Test
    void untrustedCaller_isTheClient_whateverItSays() {
        InetSocketAddress stranger = new InetSocketAddress(address("192.0.2.1"), 5000);

        assertThat(ForwardedFor.client(stranger, List.of("198.51.100.7"), TRUSTED)).isSameAs(stranger);
    }

    @Test
    void trustedCaller_withoutHeader_isTheClient() {
        assertThat(ForwardedFor.client(PEER, List.of(), TRUSTED)).isSameAs(PEER);
    }

    @Test
    void rightMostUntrustedHop_isTheClient_spoofedEntriesLeftOfItIgnored() {
        assertThat(client(PEER, "203.0.113.66, 198.51.100.7, 10.1.2.3")).isEqualTo(address("198.51.100.7"));
        assertThat(client(PEER, "203.0.113.66", "198.51.100.7,10.1.2.3")).as("several fields read as one list")
                .isEqualTo(address("198.51.100.7"));
    }

    @Test
    void allHopsTrusted_theLeftMostIsTheClient() {
        assertThat(client(PEER, "10.9.9.9, 10.1.2.3")).isEqualTo(address("10.9.9.9"));
    }

    @Test
    void unreadableHop_endsTheWalkAtTheTrustedHopThatWroteIt() {
        assertThat(client(PEER, "198.51.100.7, unknown, 10.1.2.3")).isEqualTo(address("10.1.2.3"));
        assertThat(client(PEER, "evil.example")).isEqualTo(address("10.0.0.1"));
        assertThat(client(PEER, "198.51.100.7, ")).as("an empty hop").isEqualTo(address("10.0.0.1"));
    }

    @Test
    void hopsWithPortsAndBrackets_areRead() {
        assertThat(client(PEER, "198.51.100.7:4711")).isEqualTo(address("198.51.100.7"));
        assertThat(client(PEER, "[2001:db8::7]:4711")).isEqualTo(address("2001:db8::7"));
        assertThat(client(PEER, "2001:db8::7")).isEqualTo(address("2001:db8::7"));
        assertThat(client(PEER, "[2001:db8::7]x")).isEqualTo(address("10.0.0.1"));
        assertThat(client(PEER, "198.51.100.7:http")).isEqualTo(address("10.0.0.1"));
        assertThat(client(PEER, "fe80::1%eth0")).as("no scope ids").isEqualTo(address("10.0.0.1"));
    }

    @Test
    void ipv4MappedHop_countsAsItsIpv4Address() {
        assertThat(client(PEER, "::ffff:198.51.100.7")).isEqualTo(address("198.51.100.7"));
    }

    @Test
    void longLists_areReadOnlyUpToTheLimit() {
        String trustedHops = "10.0.0.2, ".repeat(ForwardedFor.MAX_HOPS + 5);

        assertThat(client(PEER, "198.51.100.7, " + trustedHops + "10.0.0.3")).isEqualTo(address("10.0.0.2"));
    }
}

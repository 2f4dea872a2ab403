package dev.sallyport.core.internal.net;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.AccessRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * IPv4-compatible addresses ({@code ::/96}, RFC 4291 section 2.5.5.1) as a SOCKS5 client sends them
 * in binary (ATYP 4): classified as the IPv4 address they carry, like the mapped form.
 */
class AddressesIpv4CompatibleTest {

    /** The address from 16 raw bytes, as the SOCKS5 decoder hands it over: never parsed from text. */
    private static InetAddress binary(int... bytes) throws UnknownHostException {
        byte[] raw = new byte[16];
        for (int i = 0; i < 16; i++) {
            raw[i] = (byte) bytes[i];
        }
        InetAddress address = InetAddress.getByAddress(raw);
        assertThat(address).isInstanceOf(Inet6Address.class);
        return address;
    }

    private static InetAddress compatible(int a, int b, int c, int d) throws UnknownHostException {
        return binary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d);
    }

    private static Decision.Verdict denyPrivate(InetAddress target) {
        ProxyRequest request = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT, new InetSocketAddress("192.0.2.1", 4000),
                new InetSocketAddress("127.0.0.1", 1080), Credentials.none(), target.getHostAddress(), 80);
        return AccessRules.denyPrivateDestinations().evaluate(new AccessRequest(request, Principal.anonymous(), target))
                .verdict();
    }

    @Test
    void unmapped_ipv4Compatible_isTheIpv4AddressInside() throws UnknownHostException {
        InetAddress loopback = Addresses.unmapped(compatible(0x7f, 0, 0, 1)); // ::7f00:1
        assertThat(loopback).isInstanceOf(Inet4Address.class).isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(loopback.isLoopbackAddress()).isTrue();
        assertThat(Addresses.isLinkLocal(compatible(169, 254, 169, 254))).isTrue();
    }

    @Test
    void unmapped_unspecifiedAndLoopbackIpv6_stayIpv6() throws UnknownHostException {
        InetAddress unspecified = compatible(0, 0, 0, 0);
        InetAddress loopback6 = compatible(0, 0, 0, 1);
        assertThat(Addresses.unmapped(unspecified)).isSameAs(unspecified);
        assertThat(Addresses.unmapped(loopback6)).isSameAs(loopback6);
        assertThat(Addresses.embeddedIpv4(loopback6.getAddress())).isNull();
    }

    @Test
    void unmapped_otherIpv6_isUnchanged() throws UnknownHostException {
        InetAddress global = binary(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 1);
        assertThat(Addresses.unmapped(global)).isSameAs(global);
        assertThat(Addresses.embeddedIpv4(global.getAddress())).isNull();
    }

    @ParameterizedTest(name = "::{0}")
    @ValueSource(strings = {"127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "8.8.8.8"})
    void denyPrivate_deniesEveryIpv4CompatibleAddress_inBinaryForm(String ipv4) throws UnknownHostException {
        byte[] v4 = InetAddress.getByName(ipv4).getAddress();
        assertThat(denyPrivate(compatible(v4[0] & 0xff, v4[1] & 0xff, v4[2] & 0xff, v4[3] & 0xff)))
                .isEqualTo(Decision.Verdict.DENY);
    }

    @Test
    void denyPrivate_stillAllowsAPublicIpv6Address() throws UnknownHostException {
        assertThat(denyPrivate(binary(0x26, 0x06, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x10, 0x84, 0xe5)))
                .isEqualTo(Decision.Verdict.ABSTAIN);
    }
}

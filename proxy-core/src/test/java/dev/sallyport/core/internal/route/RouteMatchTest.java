package dev.sallyport.core.internal.route;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each kind of route match, and the messages of bad ones. */
class RouteMatchTest {

    private static final InetAddress TEN = NetUtil.createInetAddressFromIpAddressString("10.1.2.3");
    private static final InetAddress LOOP = NetUtil.createInetAddressFromIpAddressString("127.0.0.1");
    private static final Principal ALICE = new Principal("alice", Limits.NONE, Map.of("upstream", "eu"));

    private static boolean matches(String match, String host, int port, InetAddress address, Principal who) {
        return RouteMatch.parse(match).matches(host, port, address, who, LOOP);
    }

    @Test
    void eachKind_matchesItsRequests() {
        assertThat(matches("*", "a.test", 1, null, Principal.anonymous())).isTrue();
        assertThat(matches("10.0.0.0/8", "a.test", 1, TEN, Principal.anonymous())).isTrue();
        assertThat(matches("10.0.0.0/8", "a.test", 1, LOOP, Principal.anonymous())).isFalse();
        assertThat(matches("10.1.2.3", "a.test", 1, TEN, Principal.anonymous())).isTrue();
        assertThat(matches("*.example.com", "www.Example.com", 1, TEN, Principal.anonymous())).isTrue();
        assertThat(matches("*.example.com", "example.com", 1, TEN, Principal.anonymous())).isFalse();
        assertThat(matches("port:443", "a.test", 443, TEN, Principal.anonymous())).isTrue();
        assertThat(matches("port:8000-8100", "a.test", 8080, TEN, Principal.anonymous())).isTrue();
        assertThat(matches("port:8000-8100", "a.test", 80, TEN, Principal.anonymous())).isFalse();
        assertThat(matches("user:alice", "a.test", 1, TEN, ALICE)).isTrue();
        assertThat(matches("user:alice", "a.test", 1, TEN, Principal.anonymous())).isFalse();
        assertThat(matches("attr:upstream=eu", "a.test", 1, TEN, ALICE)).isTrue();
        assertThat(matches("attr:upstream=us", "a.test", 1, TEN, ALICE)).isFalse();
        assertThat(matches("client:127.0.0.0/8", "a.test", 1, TEN, ALICE)).isTrue();
        assertThat(matches("client:10.0.0.0/8", "a.test", 1, TEN, ALICE)).isFalse();
    }

    @Test
    void conditionsJoinedByAmpersand_mustAllHold() {
        assertThat(matches("user:alice & port:443", "a.test", 443, TEN, ALICE)).isTrue();
        assertThat(matches("user:alice & port:443", "a.test", 80, TEN, ALICE)).isFalse();
    }

    @Test
    void aBadMatch_isRejectedNamingIt() {
        assertThatThrownBy(() -> RouteMatch.parse("port:x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("route port:x");
        assertThatThrownBy(() -> RouteMatch.parse("attr:=x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route attr:=x: 'attr:=x' (expected: attr:KEY=VALUE)");
        assertThatThrownBy(() -> RouteMatch.parse("foo:bar")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("route foo:bar: 'foo:bar' (expected: *, a CIDR");
        assertThatThrownBy(() -> RouteMatch.parse("10.0.0.0/99")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("route 10.0.0.0/99");
    }
}

package dev.sallyport.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Chains of hops and active health options: parsing, names, validation messages, no password shown. */
class UpstreamChainHealthTest {

    @Test
    void parse_urlsJoinedByGreaterThan_makeAChainFirstHopFirst() {
        Upstream chain = Upstream.parse("socks5://alice:hunter2@10.0.0.5:1080>http://bob:s3cret@proxy.test:3128?weight=3");
        assertThat(chain.hops()).extracting(Upstream::kind).containsExactly(Upstream.Kind.SOCKS5, Upstream.Kind.HTTP);
        assertThat(chain.hops()).extracting(Upstream::name).containsExactly("10.0.0.5:1080", "proxy.test:3128");
        assertThat(chain.kind()).isEqualTo(Upstream.Kind.SOCKS5);
        assertThat(chain.host()).isEqualTo("10.0.0.5");
        assertThat(chain.weight()).isEqualTo(3);
        assertThat(chain.name()).isEqualTo("10.0.0.5:1080>proxy.test:3128");
        assertThat(chain.toString()).isEqualTo("socks5://alice:***@10.0.0.5:1080>http://bob:***@proxy.test:3128?weight=3");
        assertThat(UpstreamGroup.of("g", chain).toString()).doesNotContain("hunter2").doesNotContain("s3cret");
    }

    @Test
    void aSingleUpstream_isItsOwnOnlyHop() {
        Upstream single = Upstream.parse("socks5://10.0.0.5:1080");
        assertThat(single.hops()).containsExactly(single);
    }

    @Test
    void chain_equalsTheParsedForm() {
        Upstream built = Upstream.chain(Upstream.parse("socks5://10.0.0.5:1080"), Upstream.parse("https://p.test:8443"));
        assertThat(built.toString()).isEqualTo(Upstream.parse("socks5://10.0.0.5:1080>https://p.test:8443").toString());
    }

    @Test
    void chain_ofOneHop_isRejected() {
        assertThatThrownBy(() -> Upstream.chain(Upstream.parse("socks5://10.0.0.5:1080")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("chain: [socks5://10.0.0.5:1080] (expected: two or more hops)");
    }

    @Test
    void chain_ofAChain_isRejected() {
        Upstream inner = Upstream.parse("socks5://10.0.0.5:1080>socks5://10.0.0.6:1080");
        assertThatThrownBy(() -> Upstream.chain(inner, Upstream.parse("socks5://10.0.0.7:1080")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("chain: hop socks5://10.0.0.5:1080>socks5://10.0.0.6:1080 (expected: a single upstream, not a chain)");
    }

    @Test
    void aWeightOnAHopButTheLast_isRejected() {
        assertThatThrownBy(() -> Upstream.parse("socks5://10.0.0.5:1080?weight=2>socks5://10.0.0.6:1080"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("chain: hop socks5://10.0.0.5:1080?weight=2 (expected: a weight on the last hop only)");
    }

    @Test
    void aBadHop_isNamedWithoutItsPassword() {
        assertThatThrownBy(() -> Upstream.parse("socks5://10.0.0.5:1080>http://bob:hunter2@10.0.0.6"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("upstream: 'http://bob:***@10.0.0.6' (expected: host and port 1-65535)");
        assertThatThrownBy(() -> Upstream.parse("socks5://10.0.0.5:1080>"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("upstream: '' (expected: scheme socks5, http or https)");
    }

    @Test
    void healthCheck_takesConnectOrConnectToATarget() {
        UpstreamGroup group = UpstreamGroup.of("g", Upstream.parse("socks5://10.0.0.5:1080"));
        assertThat(group.healthCheck()).isNull();
        assertThat(group.healthInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(group.healthCheck("connect").healthCheck()).isEqualTo("connect");
        assertThat(group.healthCheck("connect:example.com:443").healthInterval(Duration.ofSeconds(3)).toString())
                .isEqualTo("g[socks5://10.0.0.5:1080] round_robin health=connect:example.com:443 every PT3S");
        assertThat(group.healthCheck("connect:[::1]:80").healthCheck()).isEqualTo("connect:[::1]:80");
    }

    @Test
    void healthCheck_ofAnotherForm_isRejected() {
        UpstreamGroup group = UpstreamGroup.of("g", Upstream.parse("socks5://10.0.0.5:1080"));
        assertThatThrownBy(() -> group.healthCheck("ping"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("healthCheck: 'ping' (expected: connect or connect:HOST:PORT)");
        assertThatThrownBy(() -> group.healthCheck("connect:example.com:0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("healthCheck: 'connect:example.com:0' (expected: connect or connect:HOST:PORT, port 1-65535, "
                        + "an IPv6 address in brackets)");
        assertThatThrownBy(() -> group.healthCheck("connect:::1:80"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("healthCheck: 'connect:::1:80' (expected: ");
    }

    @Test
    void healthInterval_outOfRange_isRejected() {
        UpstreamGroup group = UpstreamGroup.of("g", Upstream.parse("socks5://10.0.0.5:1080"));
        assertThatThrownBy(() -> group.healthInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("healthInterval: PT0S (expected: > 0 and <= PT24H)");
        assertThatThrownBy(() -> group.healthInterval(Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("healthInterval: PT48H (expected: > 0 and <= PT24H)");
    }
}

package dev.sallyport.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Parsing of request targets (RFC 9112 section 3.2): absolute form for forwarding, authority form for CONNECT. */
class TargetTest {

    @Test
    void absolute_http_givesSchemeHostPortAuthorityAndOriginFormPath() {
        assertThat(Target.absolute("http://Example.test:8080/a/b?q=1"))
                .isEqualTo(new Target("http", "Example.test", 8080, "Example.test:8080", "/a/b?q=1"));
    }

    @Test
    void absolute_schemeIsCaseInsensitive_andLowerCased() {
        assertThat(Target.absolute("HTTP://example.test/").scheme()).isEqualTo("http");
    }

    @Test
    void absolute_withoutPort_takesTheSchemesDefault_orZeroForAnUnknownScheme() {
        assertThat(Target.absolute("http://example.test/").port()).isEqualTo(80);
        assertThat(Target.absolute("https://example.test/").port()).isEqualTo(443);
        assertThat(Target.absolute("ftp://example.test/").port()).isZero();
    }

    @Test
    void absolute_emptyPath_becomesSlash_aQueryAloneGetsOne_andTheFragmentIsDropped() {
        assertThat(Target.absolute("http://example.test").path()).isEqualTo("/");
        assertThat(Target.absolute("http://example.test?q=1").path()).isEqualTo("/?q=1");
        assertThat(Target.absolute("http://example.test/p#frag").path()).isEqualTo("/p");
    }

    @Test
    void absolute_ipv6Literal_hostWithoutBrackets_authorityWithThem() {
        Target target = Target.absolute("http://[::1]:8080/x");
        assertThat(target.host()).isEqualTo("::1");
        assertThat(target.authority()).isEqualTo("[::1]:8080");
        assertThat(target.port()).isEqualTo(8080);
    }

    @Test
    void absolute_userInfo_isMalformed() {
        assertThat(Target.absolute("http://user:pw@example.test/")).isNull();
    }

    @Test
    void absolute_withoutSchemeSeparator_orWithABadScheme_isMalformed() {
        assertThat(Target.absolute("example.test/")).isNull();
        assertThat(Target.absolute("://example.test/")).isNull();
        assertThat(Target.absolute("1http://example.test/")).isNull();
        assertThat(Target.absolute("ht_tp://example.test/")).isNull();
    }

    @Test
    void absolute_portOutOfRangeOrNotANumber_isMalformed() {
        assertThat(Target.absolute("http://example.test:0/")).isNull();
        assertThat(Target.absolute("http://example.test:65536/")).isNull();
        assertThat(Target.absolute("http://example.test:8o/")).isNull();
        assertThat(Target.absolute("http://example.test:000080/")).isNull();
        assertThat(Target.absolute("http://example.test:65535/").port()).isEqualTo(65535);
    }

    @Test
    void absolute_invalidHostName_isMalformed() {
        assertThat(Target.absolute("http://exa mple.test/")).isNull();
        assertThat(Target.absolute("http:///path")).isNull();
        assertThat(Target.absolute("http://[not-v6]/")).isNull();
    }

    @Test
    void authority_hostAndPort_orBracketedIpv6AndPort() {
        assertThat(Target.authority("example.test:443"))
                .isEqualTo(new Target(null, "example.test", 443, "example.test:443", null));
        assertThat(Target.authority("[2001:db8::1]:443").host()).isEqualTo("2001:db8::1");
    }

    @Test
    void authority_withoutPort_isMalformed() {
        assertThat(Target.authority("example.test")).isNull();
        assertThat(Target.authority("example.test:")).isNull();
        assertThat(Target.authority("[::1]")).isNull();
        assertThat(Target.authority("[::1]443")).isNull();
    }
}

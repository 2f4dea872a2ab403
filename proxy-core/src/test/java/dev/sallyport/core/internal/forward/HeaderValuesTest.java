package dev.sallyport.core.internal.forward;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Header values that cannot end a field early, and keys that are tokens. */
class HeaderValuesTest {

    @Test
    void printableAscii_staysAsIs() {
        String value = "alice Smith <a@b>; x=1";

        assertThat(HeaderValues.encode(value)).isSameAs(value);
    }

    @Test
    void controlCharactersPercentAndNonAscii_arePercentEncodedUtf8() {
        assertThat(HeaderValues.encode("a\r\nX-Evil: 1")).isEqualTo("a%0D%0AX-Evil: 1");
        assertThat(HeaderValues.encode("100%\u0000\t\u007f")).isEqualTo("100%25%00%09%7F");
        assertThat(HeaderValues.encode("\u00e9\u20ac\ud83d\ude00")).isEqualTo("%C3%A9%E2%82%AC%F0%9F%98%80");
    }

    @Test
    void keys_lettersDigitsDashes_underscoreAndDotAsDash_elseNone() {
        assertThat(HeaderValues.key("team", 64)).isEqualTo("team");
        assertThat(HeaderValues.key("cost_center.id", 64)).isEqualTo("cost-center-id");
        assertThat(HeaderValues.key("a b", 64)).isNull();
        assertThat(HeaderValues.key("a:b", 64)).isNull();
        assertThat(HeaderValues.key("x\r\ny", 64)).isNull();
        assertThat(HeaderValues.key("", 64)).isNull();
        assertThat(HeaderValues.key("k".repeat(65), 64)).isNull();
    }
}

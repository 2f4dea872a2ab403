package dev.sallyport.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UserNamesTest {

    @Test
    void name_ofOneTo255Utf8Bytes_isAccepted() {
        UserNames.validate("a");
        UserNames.validate("é".repeat(127));
        assertThat(UserNames.plausible("alice")).isTrue();
    }

    @Test
    void name_empty_isRefusedWithItsLength() {
        assertThatThrownBy(() -> UserNames.validate("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: 0 bytes (expected: 1-255 bytes of UTF-8)");
    }

    @Test
    void name_over255Bytes_isRefused_countingUtf8NotChars() {
        assertThatThrownBy(() -> UserNames.validate("é".repeat(128))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: 256 bytes (expected: 1-255 bytes of UTF-8)");
    }

    @Test
    void name_withALoneSurrogate_isRefused() {
        assertThatThrownBy(() -> UserNames.validate("a\uD800")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("name: not valid Unicode");
        assertThat(UserNames.plausible("\uDC00")).isFalse();
    }

    @Test
    void name_withAControlCharacter_isRefusedWithItsIndex() {
        assertThatThrownBy(() -> UserNames.validate("ab\u0000")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: contains a control character at index 2 (expected: printable characters)");
    }

    @Test
    void name_null_namesTheParameter() {
        assertThatThrownBy(() -> UserNames.validate(null)).isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThat(UserNames.plausible(null)).isFalse();
    }

    @Test
    void password_upTo1024Bytes_isAccepted() {
        UserNames.validatePassword("x".repeat(UserNames.MAX_PASSWORD_BYTES));
    }

    @Test
    void password_over1024Bytes_isRefused() {
        assertThatThrownBy(() -> UserNames.validatePassword("x".repeat(5000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("password: 5000 bytes (expected: at most 1024 bytes of UTF-8)");
    }

    @Test
    void password_emptyOrWithALoneSurrogate_isRefused() {
        assertThatThrownBy(() -> UserNames.validatePassword("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("password: empty");
        assertThatThrownBy(() -> UserNames.validatePassword("pw\uD800")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("password: not valid Unicode");
    }
}

package dev.sallyport.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PasswordHashesTrailingSeparatorTest {

    @Test
    void verify_storedHashWithATrailingSeparator_isFalse() {
        String stored = PasswordHashes.hash("pw");
        // String.split drops trailing empty parts: "a$b$c$d$" once passed as the four parts of "a$b$c$d".
        assertThat(PasswordHashes.verify("pw", stored + "$")).isFalse();
        assertThat(PasswordHashes.verify("pw", stored + "$$")).isFalse();
        assertThat(PasswordHashes.verify("pw", stored)).isTrue();
    }
}

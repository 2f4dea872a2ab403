package dev.sallyport.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PasswordHashesTest {

    @Test
    void hash_verifiesItsPasswordOnly() {
        String stored = PasswordHashes.hash("correct horse");
        assertThat(stored).startsWith("pbkdf2-sha256$" + PasswordHashes.ITERATIONS + "$").doesNotContain("correct horse");
        assertThat(PasswordHashes.verify("correct horse", stored)).isTrue();
        assertThat(PasswordHashes.verify("correct horsf", stored)).isFalse();
        assertThat(PasswordHashes.hash("correct horse")).isNotEqualTo(stored);
    }

    @Test
    void verify_malformedOrAbsurdHash_isFalseWithoutWork() {
        String good = PasswordHashes.hash("pw");
        String[] parts = good.split("\\$");
        assertThat(PasswordHashes.verify("pw", "")).isFalse();
        assertThat(PasswordHashes.verify("pw", "md5$1$aa$bb")).isFalse();
        assertThat(PasswordHashes.verify("pw", parts[0] + "$x$" + parts[2] + "$" + parts[3])).isFalse();
        assertThat(PasswordHashes.verify("pw", parts[0] + "$0$" + parts[2] + "$" + parts[3])).isFalse();
        assertThat(PasswordHashes.verify("pw", parts[0] + "$2000000000$" + parts[2] + "$" + parts[3])).isFalse();
        assertThat(PasswordHashes.verify("pw", parts[0] + "$" + parts[1] + "$$" + parts[3])).isFalse();
        assertThat(PasswordHashes.verify("pw", parts[0] + "$" + parts[1] + "$!!$" + parts[3])).isFalse();
    }

    @Test
    void tokenHash_isSha256Hex_andSameHashComparesIt() {
        String hash = PasswordHashes.tokenHash("abc");
        assertThat(hash).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(PasswordHashes.sameHash(hash, PasswordHashes.tokenHash("abc"))).isTrue();
        assertThat(PasswordHashes.sameHash(hash, PasswordHashes.tokenHash("abd"))).isFalse();
        assertThat(PasswordHashes.randomSecret(32)).hasSize(43).matches("[A-Za-z0-9_-]+");
    }
}

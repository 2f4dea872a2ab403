package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configured passwords cost nothing at start: a plaintext one is hashed on its first check (one
 * PBKDF2 run, like any check), a hash is used as given; neither shows in {@code toString}.
 */
@Timeout(60)
class StoredPasswordTest {

    private static final InMemoryUserStore.Verifier NEVER = (password, hash) -> {
        throw new AssertionError("verifier called before the first check hashed the password");
    };

    @Test
    void plain_isNotHashedUntilItsFirstCheck_thenOnlyTheHashIsKept() {
        StoredPassword password = StoredPassword.plain("s3cret");
        assertThat(password.pending()).isTrue();

        assertThat(password.matches("s3cret", NEVER)).isTrue();

        assertThat(password.pending()).isFalse();
        AtomicInteger verified = new AtomicInteger();
        assertThat(password.matches("s3cret", (p, h) -> verified.incrementAndGet() > 0 && PasswordHashes.verify(p, h))).isTrue();
        assertThat(password.matches("wrong", PasswordHashes::verify)).isFalse();
        assertThat(verified).hasValue(1);
    }

    @Test
    void plain_wrongFirstCheck_failsAndStillHashes() {
        StoredPassword password = StoredPassword.plain("s3cret");

        assertThat(password.matches("s3cre", NEVER)).isFalse();

        assertThat(password.pending()).isFalse();
        assertThat(password.matches("s3cret", PasswordHashes::verify)).isTrue();
    }

    @Test
    void hashed_isVerifiedAgainstTheGivenHash() {
        StoredPassword password = StoredPassword.hashed(PasswordHashes.hash("s3cret"));

        assertThat(password.pending()).isFalse();
        assertThat(password.matches("s3cret", PasswordHashes::verify)).isTrue();
        assertThat(password.matches("other", PasswordHashes::verify)).isFalse();
    }

    @Test
    void toString_showsNoPasswordNorHash() {
        String hash = PasswordHashes.hash("s3cret");
        assertThat(StoredPassword.plain("s3cret")).hasToString("StoredPassword[***]");
        assertThat(StoredPassword.hashed(hash).toString()).doesNotContain(hash).doesNotContain("s3cret");
    }

    @Test
    void configure_thousandPlainUsers_hashesNoneUntilTheyLogIn() throws Exception {
        AtomicInteger hashed = new AtomicInteger();
        try (InMemoryUserStore store = new InMemoryUserStore(java.time.Clock.systemUTC(), (p, h) -> {
            hashed.incrementAndGet();
            return PasswordHashes.verify(p, h);
        })) {
            long start = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                store.configure("user" + i, StoredPassword.plain("pw" + i));
            }
            // One PBKDF2 run is ~55 ms here: a thousand would take about a minute.
            assertThat(System.nanoTime() - start).isLessThan(PBKDF2_TIMES_20);
            AuthContext context = new AuthContext(new InetSocketAddress("127.0.0.1", 1), Protocol.SOCKS5);
            AuthResult ok = store.authenticate(new Credentials.UsernamePassword("user7", "pw7"), context)
                    .toCompletableFuture().get();
            AuthResult again = store.authenticate(new Credentials.UsernamePassword("user7", "pw7"), context)
                    .toCompletableFuture().get();
            AuthResult bad = store.authenticate(new Credentials.UsernamePassword("user8", "pw7"), context)
                    .toCompletableFuture().get();
            assertThat(ok).isInstanceOf(AuthResult.Success.class);
            assertThat(again).isInstanceOf(AuthResult.Success.class);
            assertThat(bad).isInstanceOf(AuthResult.Failure.class);
            assertThat(hashed).as("verifications against a stored hash").hasValue(1);
        }
    }

    private static final long PBKDF2_TIMES_20 = 20 * timeOneHash();

    private static long timeOneHash() {
        long start = System.nanoTime();
        PasswordHashes.hash("calibration");
        return System.nanoTime() - start;
    }
}

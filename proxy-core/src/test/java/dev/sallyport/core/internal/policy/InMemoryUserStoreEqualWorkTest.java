package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-memory store does the same work whether or not a name exists (one PBKDF2 verification
 * with the same parameters), counted through its verifier seam rather than timed; and a check
 * cancelled before its turn is skipped.
 */
@Timeout(60)
class InMemoryUserStoreEqualWorkTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("192.0.2.1", 40000), Protocol.SOCKS5);

    /** The stored hashes each verification ran against (the password is not kept). */
    private final List<String> verified = new CopyOnWriteArrayList<>();
    private final InMemoryUserStore store = new InMemoryUserStore(Clock.systemUTC(), (password, hash) -> {
        verified.add(hash);
        return PasswordHashes.verify(password, hash);
    });

    @AfterEach
    void close() {
        store.close();
    }

    private AuthResult login(String user, String password) throws Exception {
        return store.authenticate(Credentials.password(user, password), CONTEXT).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    /** {@code pbkdf2-sha256$ITERATIONS}: what decides the cost of a verification. */
    private static String parameters(String hash) {
        String[] parts = hash.split("\\$");
        return parts[0] + "$" + parts[1] + "$" + parts[2].length() + "$" + parts[3].length();
    }

    @Test
    void unknownName_costsOneVerification_withTheParametersOfAKnownOne() throws Exception {
        store.create("alice", "right-password", Limits.NONE).toCompletableFuture().get();

        assertThat(login("alice", "wrong-password")).isEqualTo(AuthResult.failure("bad_password"));
        assertThat(login("nobody", "wrong-password")).isEqualTo(AuthResult.notMine());

        assertThat(verified).hasSize(2);
        assertThat(parameters(verified.get(1))).isEqualTo(parameters(verified.get(0)))
                .startsWith("pbkdf2-sha256$" + PasswordHashes.ITERATIONS + "$");
        assertThat(verified.get(1)).isNotEqualTo(verified.get(0));
    }

    @Test
    void knownName_rightOrWrongPassword_costsOneVerificationEach() throws Exception {
        store.create("alice", "right-password", Limits.NONE).toCompletableFuture().get();

        assertThat(login("alice", "right-password")).isInstanceOf(AuthResult.Success.class);
        assertThat(login("alice", "wrong-password")).isInstanceOf(AuthResult.Failure.class);
        assertThat(login("nobody", "right-password")).isEqualTo(AuthResult.notMine());

        assertThat(verified).hasSize(3);
    }

    @Test
    void aCheckCancelledBeforeItsTurn_isSkipped() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(2);
        InMemoryUserStore blocking = new InMemoryUserStore(Clock.systemUTC(), (password, hash) -> {
            busy.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            verified.add(hash);
            return false;
        });
        try {
            // Two checks hold the store's two hashing threads; the third waits in its queue.
            CompletableFuture<AuthResult> first = stage(blocking, "a");
            CompletableFuture<AuthResult> second = stage(blocking, "b");
            assertThat(busy.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<AuthResult> third = stage(blocking, "c");

            third.cancel(false);
            release.countDown();

            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(AuthResult.notMine());
            assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(AuthResult.notMine());
            // Anything queued after the cancelled check runs after it: wait for one more check.
            assertThat(stage(blocking, "d").get(30, TimeUnit.SECONDS)).isEqualTo(AuthResult.notMine());
            assertThat(verified).hasSize(3);
        } finally {
            blocking.close();
        }
    }

    private static CompletableFuture<AuthResult> stage(InMemoryUserStore store, String user) {
        return store.authenticate(Credentials.password(user, "pw"), CONTEXT).toCompletableFuture();
    }
}

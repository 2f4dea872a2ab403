package dev.sallyport.auth.jdbc;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Protocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDBC store does the same work for an unknown name as for a known one (one PBKDF2
 * verification with the same parameters), counted through its verifier seam rather than timed;
 * and a call cancelled before its turn on the store's executor is skipped.
 */
@Timeout(120)
class JdbcEqualWorkTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("127.0.0.1", 40000), Protocol.SOCKS5);
    private static DataSource ds;
    private static JdbcStore store;

    @BeforeAll
    static void start() throws Exception {
        ds = TestDatabase.fresh();
        store = JdbcStore.builder(ds).build();
        store.create("alice", "right-password", Limits.NONE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    /** {@code pbkdf2-sha256$ITERATIONS$len(salt)$len(hash)}: what decides the cost of a verification. */
    private static String parameters(String hash) {
        String[] parts = hash.split("\\$");
        return parts[0] + "$" + parts[1] + "$" + parts[2].length() + "$" + parts[3].length();
    }

    @Test
    void unknownName_costsOneVerification_withTheParametersOfAKnownOne() throws Exception {
        List<String> verified = new CopyOnWriteArrayList<>();
        try (Db db = new Db(ds, 1, 16)) {
            JdbcUsers users = new JdbcUsers(db, (password, hash) -> {
                verified.add(hash);
                return PasswordHashes.verify(password, hash);
            });

            AuthResult known = users.authenticate(Credentials.password("alice", "wrong"), CONTEXT)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            AuthResult unknown = users.authenticate(Credentials.password("nobody", "wrong"), CONTEXT)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);

            assertThat(known).isEqualTo(AuthResult.failure("bad_password"));
            assertThat(unknown).isEqualTo(AuthResult.notMine());
        }
        assertThat(verified).hasSize(2);
        assertThat(parameters(verified.get(1))).isEqualTo(parameters(verified.get(0)))
                .startsWith("pbkdf2-sha256$" + PasswordHashes.ITERATIONS + "$");
        assertThat(verified.get(1)).isNotEqualTo(verified.get(0));
    }

    @Test
    void aCallCancelledBeforeItsTurn_isSkipped() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Db db = new Db(ds, 1, 16)) {
            CompletableFuture<Integer> first = db.submit("hold", () -> {
                busy.countDown();
                release.await(30, TimeUnit.SECONDS);
                return ran.incrementAndGet();
            }).toCompletableFuture();
            assertThat(busy.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Integer> cancelled = db.submit("cancelled", ran::incrementAndGet).toCompletableFuture();
            CompletableFuture<Integer> after = db.submit("after", ran::incrementAndGet).toCompletableFuture();

            cancelled.cancel(false);
            release.countDown();

            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(after.get(30, TimeUnit.SECONDS)).as("the cancelled call did not run before it").isEqualTo(2);
        }
    }
}

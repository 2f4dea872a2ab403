package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.SessionException;
import dev.sallyport.core.testing.FakeTicker;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A user deleted (by a reload, or through the store) while their login check is in flight: the
 * check does not succeed after the delete, and nothing of it is cached, whether the store or
 * core hears of the delete first. Each race is held open by a latch, never by timing.
 */
@Timeout(60)
class UserDeletedDuringLoginTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("192.0.2.1", 40000), Protocol.SOCKS5);

    private final FakeTicker ticker = new FakeTicker();
    private final DefaultEventLoop loop = new DefaultEventLoop();
    /** Counted down when a password check starts; the check then waits for {@link #release}. */
    private final CountDownLatch checking = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger checks = new AtomicInteger();
    private final InMemoryUserStore users = new InMemoryUserStore(Clock.systemUTC(), (password, hash) -> {
        checks.incrementAndGet();
        checking.countDown();
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return PasswordHashes.verify(password, hash);
    });

    @AfterEach
    void close() {
        release.countDown();
        users.close();
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A chain of {@code backend} without lockout, told of {@link #users}' changes. */
    private AuthChain chain(AuthBackend backend) {
        AuthChain chain = new AuthChain(true, List.of(backend), Duration.ofMinutes(5), Duration.ofSeconds(10), ticker,
                new LoginGuard(ticker, 0, 0, Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMillis(100), 64),
                new LoginQueue(ticker, 4));
        users.addListener(new UserChanges(users, chain, new UserLimits(ticker, Limits.NONE)));
        return chain;
    }

    private Future<Principal> start(AuthChain chain) {
        return chain.authenticate(Credentials.password("alice", "secret-pw"), CONTEXT, loop);
    }

    private static String rule(Future<Principal> login) {
        assertThat(login.awaitUninterruptibly(30, TimeUnit.SECONDS)).isTrue();
        assertThat(login.cause()).as("the login fails").isInstanceOf(SessionException.class);
        return ((SessionException) login.cause()).rule();
    }

    @Test
    void theStore_answersNotMine_forAUserDeletedWhileTheirPasswordWasChecked() throws Exception {
        users.create("alice", "secret-pw", Limits.NONE).toCompletableFuture().join();
        CompletableFuture<AuthResult> check = users.authenticate(Credentials.password("alice", "secret-pw"), CONTEXT)
                .toCompletableFuture();
        assertThat(checking.await(30, TimeUnit.SECONDS)).isTrue();

        users.delete("alice").toCompletableFuture().join();
        release.countDown();

        assertThat(check.get(30, TimeUnit.SECONDS)).isEqualTo(AuthResult.notMine());
    }

    @Test
    void aLoginCheckedWhileTheUserIsDeleted_fails_andTheSamePasswordFailsAfterwards() throws Exception {
        AuthChain chain = chain(users);
        users.create("alice", "secret-pw", Limits.NONE).toCompletableFuture().join();
        Future<Principal> login = start(chain);
        assertThat(checking.await(30, TimeUnit.SECONDS)).isTrue();

        users.delete("alice").toCompletableFuture().join();
        release.countDown();

        assertThat(rule(login)).isEqualTo("unknown_user");
        assertThat(rule(start(chain))).as("nothing cached").isEqualTo("unknown_user");
    }

    @Test
    void aVerdictArrivingAfterTheDelete_isRefused_andNotCached() throws Exception {
        release.countDown(); // the store answers at once; the gate below holds its verdict back from core
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CompletableFuture<CompletableFuture<AuthResult>> storeAnswer = new CompletableFuture<>();
        AtomicInteger asked = new AtomicInteger();
        AuthBackend delayed = new AuthBackend() {
            @Override
            public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
                asked.incrementAndGet();
                CompletableFuture<AuthResult> answer = users.authenticate(credentials, context).toCompletableFuture();
                storeAnswer.complete(answer);
                return answer.thenCombine(gate, (result, ignored) -> result);
            }

            @Override
            public String name() {
                return "delayed";
            }
        };
        AuthChain chain = chain(delayed);
        users.create("alice", "secret-pw", Limits.NONE).toCompletableFuture().join();
        Future<Principal> login = start(chain);
        assertThat(storeAnswer.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS))
                .as("the store said yes before the delete").isInstanceOf(AuthResult.Success.class);

        users.delete("alice").toCompletableFuture().join();
        gate.complete(null);

        assertThat(rule(login)).isEqualTo("credentials_rotated");
        assertThat(rule(start(chain))).as("nothing cached: asked again").isEqualTo("unknown_user");
        assertThat(asked).hasValue(2);
    }

    /** A backend whose first answer is {@code held} (completed by the test), every later one {@code later}. */
    private static AuthBackend heldThen(CompletableFuture<AuthResult> held, AtomicInteger asked, AuthResult later) {
        return new AuthBackend() {
            @Override
            public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
                return asked.incrementAndGet() == 1 ? held : CompletableFuture.completedFuture(later);
            }

            @Override
            public String name() {
                return "notifying-by-name";
            }
        };
    }

    @Test
    void aUserChangedDuringTheCheck_isAskedAgain_andFailsWhenTheStoreNowSaysNo() throws Exception {
        release.countDown();
        CompletableFuture<AuthResult> held = new CompletableFuture<>();
        AtomicInteger asked = new AtomicInteger();
        // Like PostgreSQL's notifications: a disable or delete arrives as userChanged, with no version.
        AuthBackend backend = heldThen(held, asked, AuthResult.notMine());
        AuthChain chain = chain(backend);
        Future<Principal> login = start(chain);
        await().until(() -> asked.get() == 1);

        new UserChanges(users, chain, new UserLimits(ticker, Limits.NONE)).userChanged("alice");
        held.complete(AuthResult.success(Principal.of("alice")));

        assertThat(rule(login)).as("the stale yes was not taken; asked again, the store said no").isEqualTo("unknown_user");
        assertThat(asked).hasValue(2);
        assertThat(rule(start(chain))).as("nothing cached from the stale yes").isEqualTo("unknown_user");
    }

    @Test
    void aUserChangedDuringTheCheck_butStillValid_logsInOnTheSecondAsking() throws Exception {
        release.countDown();
        CompletableFuture<AuthResult> held = new CompletableFuture<>();
        AtomicInteger asked = new AtomicInteger();
        AuthBackend backend = heldThen(held, asked, AuthResult.success(Principal.of("alice")));
        AuthChain chain = chain(backend);
        Future<Principal> login = start(chain);
        await().until(() -> asked.get() == 1);

        new UserChanges(users, chain, new UserLimits(ticker, Limits.NONE)).userChanged("alice");
        held.complete(AuthResult.success(Principal.of("alice")));

        assertThat(login.awaitUninterruptibly(30, TimeUnit.SECONDS)).isTrue();
        assertThat(login.getNow()).as("an edit (say, an attribute) costs one more check, not the login").isNotNull();
        assertThat(asked).hasValue(2);
    }
}

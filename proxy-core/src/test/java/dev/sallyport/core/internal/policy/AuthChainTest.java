package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.SessionException;
import dev.sallyport.core.testing.FakeTicker;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auth chain: backend order, positive and negative caches on a fake ticker, failing closed,
 * shared in-flight logins and the login guard's back-off and lockout. Runs on an
 * {@link EmbeddedChannel}'s event loop with frozen time, so back-off delays run when the test
 * advances that loop's clock.
 */
@Timeout(30)
class AuthChainTest {

    private static final Duration CACHE_TTL = Duration.ofMinutes(5);
    private static final Duration NEGATIVE_TTL = Duration.ofSeconds(10);
    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("192.0.2.1", 40000), Protocol.SOCKS5);
    private static final Credentials ALICE = Credentials.password("alice", "right-password");
    private static final Credentials ALICE_WRONG = Credentials.password("alice", "wrong-password");

    private final FakeTicker ticker = new FakeTicker();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final EventLoop loop = channel.eventLoop();

    {
        channel.freezeTime();
    }

    @AfterEach
    void closeChannel() {
        assertThat(channel.finish()).isFalse();
    }

    /** A backend that answers with {@code answer} and records each call. */
    private static final class FakeBackend implements AuthBackend {
        private final String name;
        private final Function<Credentials, CompletionStage<AuthResult>> answer;
        final List<Credentials> calls = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        FakeBackend(String name, Function<Credentials, CompletionStage<AuthResult>> answer) {
            this.name = name;
            this.answer = answer;
        }

        @Override
        public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
            calls.add(credentials);
            threads.add(Thread.currentThread());
            return answer.apply(credentials);
        }

        @Override
        public String name() {
            return name;
        }
    }

    private static FakeBackend answering(String name, AuthResult result) {
        return new FakeBackend(name, credentials -> CompletableFuture.completedFuture(result));
    }

    /** Knows alice (right-password) and answers "not mine" for anyone else. */
    private static FakeBackend aliceStore() {
        return new FakeBackend("store", credentials -> CompletableFuture.completedFuture(
                !"alice".equals(credentials.username()) ? AuthResult.notMine()
                        : credentials.equals(ALICE) ? AuthResult.success(Principal.of("alice"))
                        : AuthResult.failure("bad_password")));
    }

    /** Fails every login (its database is down) until {@code up} is set; then lets alice in. */
    private static FakeBackend downUntil(AtomicBoolean up) {
        return new FakeBackend("db", credentials -> up.get()
                ? CompletableFuture.completedFuture(AuthResult.success(Principal.of("alice")))
                : CompletableFuture.failedFuture(new IllegalStateException("down")));
    }

    private AuthChain chain(AuthBackend... backends) {
        return chain(disabledGuard(), backends);
    }

    private AuthChain chain(LoginGuard guard, AuthBackend... backends) {
        return new AuthChain(true, List.of(backends), CACHE_TTL, NEGATIVE_TTL, ticker, guard, new LoginQueue(ticker, 4));
    }

    private LoginGuard disabledGuard() {
        return new LoginGuard(ticker, 0, 0, Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMillis(100), 64);
    }

    private Future<Principal> login(AuthChain chain, Credentials credentials) {
        return chain.authenticate(credentials, CONTEXT, loop);
    }

    private static SessionException refusal(Future<Principal> login) {
        assertThat(login.isDone()).as("login answered").isTrue();
        assertThat(login.cause()).isInstanceOf(SessionException.class);
        return (SessionException) login.cause();
    }

    private void advanceLoop(Duration amount) {
        channel.advanceTimeBy(amount.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void firstBackendThatAnswers_decides_inOrder() {
        FakeBackend first = answering("first", AuthResult.notMine());
        FakeBackend second = answering("second", AuthResult.success(Principal.of("from-second")));
        FakeBackend third = answering("third", AuthResult.success(Principal.of("from-third")));

        Future<Principal> login = login(chain(first, second, third), ALICE);

        assertThat(login.getNow().name()).isEqualTo("from-second");
        assertThat(first.calls).containsExactly(ALICE);
        assertThat(second.calls).containsExactly(ALICE);
        assertThat(third.calls).isEmpty();
    }

    @Test
    void aFailureFromABackend_endsTheChain_withItsReason() {
        FakeBackend refusing = answering("refusing", AuthResult.failure("bad_password"));
        FakeBackend next = answering("next", AuthResult.success(Principal.of("alice")));

        SessionException e = refusal(login(chain(refusing, next), ALICE));

        assertThat(e.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(e.rule()).isEqualTo("bad_password");
        assertThat(e.getMessage()).isEqualTo("socks5 login from 192.0.2.1:40000 failed: bad_password");
        assertThat(next.calls).isEmpty();
    }

    @Test
    void everyBackendNotMine_failsAsUnknownUser() {
        SessionException e = refusal(login(chain(answering("a", AuthResult.notMine()),
                answering("b", AuthResult.notMine())), ALICE));

        assertThat(e.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(e.rule()).isEqualTo("unknown_user");
    }

    @Test
    void noCredentials_failWithoutAskingAnyBackend() {
        FakeBackend store = aliceStore();

        SessionException e = refusal(login(chain(store), Credentials.none()));

        assertThat(e.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(e.rule()).isEqualTo("no_credentials");
        assertThat(store.calls).isEmpty();
    }

    @Test
    void success_isCachedForTheTtl_onTheTicker() {
        FakeBackend store = aliceStore();
        AuthChain chain = chain(store);
        login(chain, ALICE);

        ticker.advance(CACHE_TTL.minusMillis(1));
        assertThat(login(chain, ALICE).getNow().name()).isEqualTo("alice");
        assertThat(store.calls).hasSize(1);

        ticker.advance(Duration.ofMillis(2));
        assertThat(login(chain, ALICE).getNow().name()).isEqualTo("alice");
        assertThat(store.calls).hasSize(2);
    }

    @Test
    void cache_isKeyedOnTheSecret_soAnotherPasswordIsAskedFor() {
        FakeBackend store = aliceStore();
        AuthChain chain = chain(store);
        login(chain, ALICE);

        SessionException e = refusal(login(chain, ALICE_WRONG));

        assertThat(e.rule()).isEqualTo("bad_password");
        assertThat(store.calls).containsExactly(ALICE, ALICE_WRONG);
    }

    @Test
    void bearerTokens_areCachedToo() {
        FakeBackend tokens = answering("tokens", AuthResult.success(Principal.of("svc")));
        AuthChain chain = chain(tokens);

        login(chain, Credentials.token("t-1"));
        login(chain, Credentials.token("t-1"));
        login(chain, Credentials.token("t-2"));

        assertThat(tokens.calls).containsExactly(Credentials.token("t-1"), Credentials.token("t-2"));
    }

    @Test
    void refusal_isCachedForTheNegativeTtl_withTheSameReason() {
        FakeBackend store = aliceStore();
        AuthChain chain = chain(store);
        login(chain, ALICE_WRONG);

        ticker.advance(NEGATIVE_TTL.minusMillis(1));
        assertThat(refusal(login(chain, ALICE_WRONG)).rule()).isEqualTo("bad_password");
        assertThat(store.calls).hasSize(1);

        ticker.advance(Duration.ofMillis(2));
        assertThat(refusal(login(chain, ALICE_WRONG)).rule()).isEqualTo("bad_password");
        assertThat(store.calls).hasSize(2);
    }

    @Test
    void unknownUser_isCachedAsARefusalToo() {
        FakeBackend store = aliceStore();
        AuthChain chain = chain(store);
        Credentials mallory = Credentials.password("mallory", "guess");

        login(chain, mallory);
        SessionException again = refusal(login(chain, mallory));

        assertThat(again.rule()).isEqualTo("unknown_user");
        assertThat(store.calls).hasSize(1);
    }

    @Test
    void negativeTtlZero_refusalsAreNotCached() {
        FakeBackend store = aliceStore();
        AuthChain chain = new AuthChain(true, List.of(store), CACHE_TTL, Duration.ZERO, ticker, disabledGuard(),
                new LoginQueue(ticker, 4));

        login(chain, ALICE_WRONG);
        login(chain, ALICE_WRONG);
        login(chain, ALICE);
        login(chain, ALICE);

        assertThat(store.calls).containsExactly(ALICE_WRONG, ALICE_WRONG, ALICE);
    }

    @Test
    void cacheTtlZero_cachesNothing_notEvenRefusals() {
        FakeBackend store = aliceStore();
        AuthChain chain = new AuthChain(true, List.of(store), Duration.ZERO, NEGATIVE_TTL, ticker, disabledGuard(),
                new LoginQueue(ticker, 4));

        login(chain, ALICE);
        login(chain, ALICE);
        login(chain, ALICE_WRONG);
        login(chain, ALICE_WRONG);

        assertThat(store.calls).containsExactly(ALICE, ALICE, ALICE_WRONG, ALICE_WRONG);
    }

    @Test
    void invalidate_dropsTheUsersCachedLoginsAndRefusals_only() {
        FakeBackend store = new FakeBackend("store", credentials -> CompletableFuture.completedFuture(
                credentials.equals(ALICE) || credentials.equals(Credentials.password("bob", "pw"))
                        ? AuthResult.success(Principal.of(credentials.username())) : AuthResult.failure("bad_password")));
        AuthChain chain = chain(store);
        login(chain, ALICE);
        login(chain, ALICE_WRONG);
        login(chain, Credentials.password("bob", "pw"));

        chain.invalidate("alice");
        login(chain, ALICE);
        login(chain, ALICE_WRONG);
        login(chain, Credentials.password("bob", "pw"));

        assertThat(store.calls).containsExactly(ALICE, ALICE_WRONG, Credentials.password("bob", "pw"),
                ALICE, ALICE_WRONG);
    }

    @Test
    void invalidate_dropsATokenLogin_byThePrincipalItGave() {
        FakeBackend tokens = answering("tokens", AuthResult.success(Principal.of("alice")));
        AuthChain chain = chain(tokens);
        login(chain, Credentials.token("t-1"));

        chain.invalidate("alice");
        login(chain, Credentials.token("t-1"));

        assertThat(tokens.calls).hasSize(2);
    }

    @Test
    void backendThatThrows_failsClosedAsUnavailable_withoutAskingTheNext() {
        IllegalStateException boom = new IllegalStateException("pool exhausted");
        FakeBackend broken = new FakeBackend("db", credentials -> {
            throw boom;
        });
        FakeBackend next = answering("next", AuthResult.success(Principal.of("alice")));

        SessionException e = refusal(login(chain(broken, next), ALICE));

        assertThat(e.outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(e.rule()).isEqualTo("auth_backend_error");
        assertThat(e.getCause()).isSameAs(boom);
        assertThat(e.getMessage()).isEqualTo("socks5 login from 192.0.2.1:40000: auth backend db failed")
                .doesNotContain("right-password");
        assertThat(next.calls).isEmpty();
    }

    @Test
    void backendOutage_isOneStateChange_notOneWarningPerLogin() {
        AtomicBoolean up = new AtomicBoolean(false);
        FakeBackend db = downUntil(up);
        AuthChain chain = chain(db);

        for (int i = 0; i < 5; i++) {
            assertThat(refusal(login(chain, ALICE)).outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
            assertThat(chain.failing(db)).as("failing after login %d", i).isTrue();
        }
        up.set(true);
        assertThat(login(chain, ALICE).getNow()).isEqualTo(Principal.of("alice"));
        assertThat(chain.failing(db)).as("answers again").isFalse();

        up.set(false);
        assertThat(refusal(login(chain, Credentials.password("alice", "other"))).outcome())
                .isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(chain.failing(db)).as("a new outage").isTrue();
    }

    @Test
    void backendStageCompletingExceptionally_failsClosedAsUnavailable() {
        IllegalStateException down = new IllegalStateException("database down");
        SessionException e = refusal(login(chain(new FakeBackend("db",
                credentials -> CompletableFuture.failedFuture(down))), ALICE));

        assertThat(e.outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(e.rule()).isEqualTo("auth_backend_error");
        assertThat(e.getCause()).isSameAs(down);
    }

    @Test
    void backendReturningNull_orCompletingWithNull_failsClosedAsUnavailable() {
        SessionException nullStage = refusal(login(chain(new FakeBackend("a", credentials -> null)), ALICE));
        SessionException nullResult = refusal(login(chain(new FakeBackend("b",
                credentials -> CompletableFuture.completedFuture(null))), ALICE));

        assertThat(nullStage.outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(nullStage.getCause()).isInstanceOf(NullPointerException.class)
                .hasMessage("authenticate returned null");
        assertThat(nullResult.outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(nullResult.getCause()).isInstanceOf(NullPointerException.class)
                .hasMessage("authenticate completed with null");
    }

    @Test
    void unavailable_isNotCached_soTheNextLoginAsksAgain() {
        AtomicBoolean up = new AtomicBoolean();
        FakeBackend flaky = downUntil(up);
        AuthChain chain = chain(flaky);
        assertThat(refusal(login(chain, ALICE)).outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);

        up.set(true);

        assertThat(login(chain, ALICE).getNow().name()).isEqualTo("alice");
        assertThat(flaky.calls).hasSize(2);
    }

    @Test
    void concurrentLogins_withTheSameCredentials_shareOneBackendCall() {
        CompletableFuture<AuthResult> pending = new CompletableFuture<>();
        FakeBackend slow = new FakeBackend("slow", credentials -> pending);
        AuthChain chain = chain(slow);

        Future<Principal> first = login(chain, ALICE);
        Future<Principal> second = login(chain, ALICE);
        assertThat(first.isDone()).isFalse();
        assertThat(second.isDone()).isFalse();

        pending.complete(AuthResult.success(Principal.of("alice")));

        assertThat(slow.calls).hasSize(1);
        assertThat(first.getNow()).isSameAs(second.getNow());
    }

    @Test
    void concurrentLogins_shareAFailureToo_andTheNextLoginAsksAgain() {
        CompletableFuture<AuthResult> pending = new CompletableFuture<>();
        // The first call waits on pending; later calls get an answer that never comes.
        FakeBackend slow = new FakeBackend("slow", credentials -> pending.isDone() ? new CompletableFuture<>() : pending);
        AuthChain chain = chain(slow);
        Future<Principal> first = login(chain, ALICE);
        Future<Principal> second = login(chain, ALICE);

        pending.completeExceptionally(new IllegalStateException("timeout"));

        assertThat(refusal(first).outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(refusal(second).outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(slow.calls).hasSize(1);
        Future<Principal> third = login(chain, ALICE);
        assertThat(third.isDone()).isFalse();
        assertThat(slow.calls).hasSize(2);
    }

    @Test
    void concurrentLogins_withDifferentCredentials_areNotShared() {
        CompletableFuture<AuthResult> pending = new CompletableFuture<>();
        FakeBackend slow = new FakeBackend("slow", credentials -> pending);
        AuthChain chain = chain(slow);

        login(chain, ALICE);
        login(chain, ALICE_WRONG);

        assertThat(slow.calls).containsExactly(ALICE, ALICE_WRONG);
        pending.complete(AuthResult.failure("bad_password"));
    }

    @Test
    void nextBackend_isAskedOnTheEventLoop_whenThePreviousAnsweredFromItsOwnThread() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        DefaultEventLoop eventLoop = new DefaultEventLoop();
        try {
            FakeBackend remote = new FakeBackend("remote",
                    credentials -> CompletableFuture.supplyAsync(AuthResult::notMine, executor));
            FakeBackend local = answering("local", AuthResult.success(Principal.of("alice")));
            AuthChain chain = chain(remote, local);

            Principal principal = chain.authenticate(ALICE, CONTEXT, eventLoop).get(10, TimeUnit.SECONDS);

            assertThat(principal.name()).isEqualTo("alice");
            Thread loopThread = eventLoop.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
            assertThat(local.threads).containsExactly(loopThread);
        } finally {
            executor.shutdownNow();
            eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void failedLogin_isAnsweredAfterTheBackoff_onTheLoop() {
        LoginGuard guard = new LoginGuard(ticker, 10, 0, Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMillis(100), 64);
        AuthChain chain = chain(guard, aliceStore());

        Future<Principal> first = login(chain, ALICE_WRONG);
        advanceLoop(Duration.ofMillis(99));
        assertThat(first.isDone()).isFalse();
        advanceLoop(Duration.ofMillis(1));
        assertThat(refusal(first).rule()).isEqualTo("bad_password");

        Future<Principal> second = login(chain, ALICE_WRONG);
        advanceLoop(Duration.ofMillis(199));
        assertThat(second.isDone()).isFalse();
        advanceLoop(Duration.ofMillis(1));
        assertThat(refusal(second).rule()).isEqualTo("bad_password");
    }

    @Test
    void lockedOutAddress_failsEvenWithTheRightPassword_withoutAskingTheBackend_untilTheLockoutEnds() {
        Duration lockout = Duration.ofMinutes(5);
        LoginGuard guard = new LoginGuard(ticker, 2, 0, Duration.ofMinutes(1), lockout, Duration.ZERO, 64);
        FakeBackend store = aliceStore();
        AuthChain chain = chain(guard, store);
        login(chain, ALICE_WRONG);
        login(chain, Credentials.password("alice", "another-wrong-password"));

        SessionException locked = refusal(login(chain, ALICE));

        assertThat(locked.outcome()).isEqualTo(Outcome.AUTH_FAILED);
        assertThat(locked.rule()).isEqualTo("locked_out");
        assertThat(store.calls).hasSize(2);

        ticker.advance(lockout);
        assertThat(login(chain, ALICE).getNow().name()).isEqualTo("alice");
    }

    @Test
    void success_clearsTheFailuresOfThatName() {
        LoginGuard guard = new LoginGuard(ticker, 2, 0, Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ZERO, 64);
        AuthChain chain = chain(guard, aliceStore());

        login(chain, ALICE_WRONG);
        login(chain, ALICE);
        login(chain, ALICE_WRONG);

        assertThat(login(chain, ALICE).isSuccess()).isTrue();
    }

    @Test
    void missingCredentials_andUnavailableBackends_areNotCountedAsFailures_norDelayed() {
        LoginGuard guard = new LoginGuard(ticker, 1, 0, Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMillis(100), 64);
        AtomicBoolean up = new AtomicBoolean();
        FakeBackend flaky = downUntil(up);
        AuthChain chain = chain(guard, flaky);

        assertThat(login(chain, Credentials.none()).isDone()).isTrue();
        assertThat(login(chain, Credentials.none()).isDone()).isTrue();
        assertThat(login(chain, ALICE).isDone()).isTrue();
        up.set(true);

        assertThat(login(chain, ALICE).getNow().name()).isEqualTo("alice");
    }
}

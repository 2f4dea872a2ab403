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
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logins under concurrency and load, through the whole {@link AuthChain}: checks in flight count
 * towards the lockout, failures are keyed by source and name, the check queue is fair and drops
 * what nobody waits for, and a check that got no verdict (overloaded, given up) is neither cached
 * nor counted. Runs on an {@link EmbeddedChannel}'s loop with a fake ticker; backends answer when
 * the test completes their stages.
 */
@Timeout(30)
class LoginAdmissionTest {

    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration LOCKOUT = Duration.ofMinutes(5);
    private static final AuthContext FROM_A = context("192.0.2.1");
    private static final AuthContext FROM_B = context("192.0.2.2");

    private final FakeTicker ticker = new FakeTicker();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final EventLoop loop = channel.eventLoop();

    @AfterEach
    void closeChannel() {
        assertThat(channel.finish()).isFalse();
    }

    private static AuthContext context(String ip) {
        return new AuthContext(new InetSocketAddress(ip, 40000), Protocol.SOCKS5);
    }

    /** A backend whose answers the test gives: every call gets a stage of its own, pending until answered. */
    private static final class Pending implements AuthBackend {
        final List<Credentials> calls = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<AuthResult>> stages = new CopyOnWriteArrayList<>();

        @Override
        public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
            calls.add(credentials);
            CompletableFuture<AuthResult> stage = new CompletableFuture<>();
            stages.add(stage);
            return stage;
        }

        /** Answers every pending call: success for {@code right}'s password, bad_password otherwise. */
        void answerAll(String right) {
            for (int i = 0; i < stages.size(); i++) {
                Credentials call = calls.get(i);
                stages.get(i).complete(right.equals(((Credentials.UsernamePassword) call).password())
                        ? AuthResult.success(Principal.of(call.username())) : AuthResult.failure("bad_password"));
            }
        }
    }

    /** Answers at once: each user's password is "<name>-pw". */
    private static final class Immediate implements AuthBackend {
        final List<Credentials> calls = new CopyOnWriteArrayList<>();

        @Override
        public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
            calls.add(credentials);
            Credentials.UsernamePassword up = (Credentials.UsernamePassword) credentials;
            return CompletableFuture.completedFuture(up.password().equals(up.username() + "-pw")
                    ? AuthResult.success(Principal.of(up.username())) : AuthResult.failure("bad_password"));
        }
    }

    private LoginGuard guard(int maxFailures) {
        return new LoginGuard(ticker, maxFailures, 0, WINDOW, LOCKOUT, Duration.ZERO, 64);
    }

    private AuthChain chain(LoginGuard guard, LoginQueue queue, AuthBackend backend) {
        return new AuthChain(true, List.of(backend), Duration.ofMinutes(5), Duration.ofSeconds(10), ticker, guard, queue);
    }

    private LoginQueue.Caller caller(AtomicBoolean left) {
        return new LoginQueue.Caller(ticker.read() + Duration.ofSeconds(10).toNanos(), left::get);
    }

    private static SessionException refusal(Future<Principal> login) {
        assertThat(login.isDone()).as("login answered").isTrue();
        assertThat(login.cause()).isInstanceOf(SessionException.class);
        return (SessionException) login.cause();
    }

    @Test
    void concurrentWrongPasswords_onlyMaxFailuresReachTheBackend_theRestAreTurnedAwayAtOnce() {
        Pending backend = new Pending();
        AuthChain chain = chain(guard(10), new LoginQueue(ticker, 64), backend);
        List<Future<Principal>> logins = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            logins.add(chain.authenticate(Credentials.password("alice", "guess-" + i), FROM_A, loop));
        }

        assertThat(backend.calls).hasSize(10);
        assertThat(logins.subList(10, 30)).allSatisfy(login -> assertThat(refusal(login).rule()).isEqualTo("login_limit"));

        backend.answerAll("right");
        assertThat(logins).allSatisfy(login -> assertThat(refusal(login).outcome()).isEqualTo(Outcome.AUTH_FAILED));
        assertThat(refusal(chain.authenticate(Credentials.password("alice", "right"), FROM_A, loop)).rule())
                .isEqualTo("locked_out");
        assertThat(backend.calls).hasSize(10);
    }

    @Test
    void concurrentLoginsWithTheSameCredentials_shareOneSlot_soABurstOfRightLoginsIsNotRefused() {
        Pending backend = new Pending();
        AuthChain chain = chain(guard(3), new LoginQueue(ticker, 4), backend);
        List<Future<Principal>> logins = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            logins.add(chain.authenticate(Credentials.password("alice", "right"), FROM_A, loop));
        }

        backend.answerAll("right");

        assertThat(backend.calls).hasSize(1);
        assertThat(logins).allSatisfy(login -> assertThat(login.getNow().name()).isEqualTo("alice"));
    }

    @Test
    void withoutAnAuthCache_concurrentLoginsWithTheSameCredentials_stillShareOneCheck() {
        Pending backend = new Pending();
        AuthChain chain = new AuthChain(true, List.of(backend), Duration.ZERO, Duration.ZERO, ticker, guard(10),
                new LoginQueue(ticker, 64));
        List<Future<Principal>> logins = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            logins.add(chain.authenticate(Credentials.password("carol", "right"), FROM_A, loop));
        }

        backend.answerAll("right");

        assertThat(backend.calls).hasSize(1);
        assertThat(logins).allSatisfy(login -> assertThat(login.getNow().name()).isEqualTo("carol"));
        Future<Principal> later = chain.authenticate(Credentials.password("carol", "right"), FROM_A, loop);
        assertThat(later.isDone()).as("no cache: asked again").isFalse();
        backend.answerAll("right");
        assertThat(later.getNow().name()).isEqualTo("carol");
    }

    @Test
    void loginsTurnedAwayAtTheLimit_areRefusedUnchecked_butNotCountedAsFailures() {
        Pending backend = new Pending();
        AuthChain chain = chain(guard(2), new LoginQueue(ticker, 64), backend);
        List<Future<Principal>> logins = new ArrayList<>();
        for (String password : List.of("token-a", "token-b", "token-c", "token-d", "token-e")) {
            logins.add(chain.authenticate(Credentials.password("alice", password), FROM_A, loop));
        }
        assertThat(backend.calls).hasSize(2);
        assertThat(logins.subList(2, 5)).allSatisfy(login -> assertThat(refusal(login).rule()).isEqualTo("login_limit"));

        // This backend takes every one of alice's passwords: nothing failed, so nothing is locked.
        backend.stages.get(0).complete(AuthResult.success(Principal.of("alice")));
        backend.stages.get(1).complete(AuthResult.success(Principal.of("alice")));
        Future<Principal> next = chain.authenticate(Credentials.password("alice", "token-f"), FROM_A, loop);
        assertThat(backend.calls).as("checked, not locked out").hasSize(3);
        backend.stages.get(2).complete(AuthResult.success(Principal.of("alice")));
        assertThat(next.getNow().name()).isEqualTo("alice");
    }

    @Test
    void anAttackersOwnSuccesses_doNotResetTheCountForTheVictim() {
        Immediate backend = new Immediate();
        AuthChain chain = chain(guard(3), new LoginQueue(ticker, 4), backend);
        for (int i = 0; i < 5; i++) {
            assertThat(chain.authenticate(Credentials.password("mallory", "mallory-pw"), FROM_A, loop).isSuccess())
                    .isTrue();
            refusal(chain.authenticate(Credentials.password("alice", "guess-" + i), FROM_A, loop));
        }

        assertThat(refusal(chain.authenticate(Credentials.password("alice", "alice-pw"), FROM_A, loop)).rule())
                .isEqualTo("locked_out");
        assertThat(chain.authenticate(Credentials.password("alice", "alice-pw"), FROM_B, loop).isSuccess()).isTrue();
        assertThat(chain.authenticate(Credentials.password("mallory", "mallory-pw"), FROM_A, loop).isSuccess())
                .isTrue();
        assertThat(backend.calls).filteredOn(c -> c.username().equals("alice")).hasSize(4);
    }

    @Test
    void aBackendAnsweringOverloaded_isUnavailable_neitherCachedNorCountedAsAFailure() {
        AtomicBoolean busy = new AtomicBoolean(true);
        List<Credentials> calls = new CopyOnWriteArrayList<>();
        AuthBackend backend = (credentials, context) -> {
            calls.add(credentials);
            return CompletableFuture.completedFuture(busy.get() ? AuthResult.failure("overloaded")
                    : AuthResult.success(Principal.of("alice")));
        };
        AuthChain chain = chain(guard(1), new LoginQueue(ticker, 4), backend);

        SessionException overloaded = refusal(chain.authenticate(Credentials.password("alice", "right"), FROM_A, loop));
        busy.set(false);

        assertThat(overloaded.outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(overloaded.rule()).isEqualTo("overloaded");
        assertThat(chain.authenticate(Credentials.password("alice", "right"), FROM_A, loop).isSuccess()).isTrue();
        assertThat(calls).hasSize(2);
    }

    @Test
    void aFullQueue_refusesAsOverloaded_neverAsksTheBackend_andCountsNoFailure() {
        Pending backend = new Pending();
        LoginGuard guard = guard(1);
        AuthChain chain = chain(guard, new LoginQueue(ticker, 1, 1, 100), backend);
        chain.authenticate(Credentials.password("u1", "pw"), FROM_A, loop);
        chain.authenticate(Credentials.password("u2", "pw"), FROM_A, loop);

        SessionException full = refusal(chain.authenticate(Credentials.password("u3", "pw"), FROM_A, loop));

        assertThat(full.outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(full.rule()).isEqualTo("overloaded");
        assertThat(backend.calls).extracting(Credentials::username).containsExactly("u1");
        assertThat(guard.login(guard.source(FROM_A.client().getAddress()), "u3").lockedOut()).isFalse();
        backend.answerAll("pw");
        backend.answerAll("pw");
        assertThat(chain.authenticate(Credentials.password("u3", "pw"), FROM_A, loop).isDone()).as("not cached").isFalse();
        assertThat(backend.calls).extracting(Credentials::username).containsExactly("u1", "u2", "u3");
        backend.answerAll("pw");
    }

    @Test
    void aWaitingCheckWhoseClientLeft_isDropped_neverReachesTheBackend_andCountsNoFailure() {
        Pending backend = new Pending();
        LoginGuard guard = guard(1);
        AuthChain chain = chain(guard, new LoginQueue(ticker, 1), backend);
        AtomicBoolean left = new AtomicBoolean();
        chain.authenticate(Credentials.password("u1", "pw"), FROM_A, loop);
        Future<Principal> gone = chain.authenticate(Credentials.password("u2", "pw"), FROM_B, loop, caller(left));

        left.set(true);
        backend.answerAll("pw");

        assertThat(refusal(gone).outcome()).isEqualTo(Outcome.AUTH_UNAVAILABLE);
        assertThat(refusal(gone).rule()).isEqualTo("login_expired");
        assertThat(backend.calls).hasSize(1);
        assertThat(chain.authenticate(Credentials.password("u2", "pw"), FROM_B, loop).isDone()).isFalse();
        backend.answerAll("pw");
        assertThat(backend.calls).hasSize(2);
    }

    @Test
    void aWaitingCheckPastItsDeadline_isDropped_neverReachesTheBackend() {
        Pending backend = new Pending();
        AuthChain chain = chain(guard(10), new LoginQueue(ticker, 1), backend);
        chain.authenticate(Credentials.password("u1", "pw"), FROM_A, loop);
        Future<Principal> late = chain.authenticate(Credentials.password("u2", "pw"), FROM_B, loop,
                caller(new AtomicBoolean()));

        ticker.advance(Duration.ofSeconds(10));
        backend.answerAll("pw");

        assertThat(refusal(late).rule()).isEqualTo("login_expired");
        assertThat(backend.calls).hasSize(1);
    }

    @Test
    void aBackendThatNeverAnswers_losesItsSlotAfterTheDeadline_andItsStageIsCancelled() {
        Pending backend = new Pending();
        AuthChain chain = chain(guard(10), new LoginQueue(ticker, 1), backend);
        Future<Principal> hung = chain.authenticate(Credentials.password("u1", "pw"), FROM_A, loop,
                caller(new AtomicBoolean()));
        ticker.advance(Duration.ofSeconds(10));

        Future<Principal> next = chain.authenticate(Credentials.password("u2", "pw"), FROM_B, loop);

        assertThat(refusal(hung).rule()).isEqualTo("login_expired");
        assertThat(backend.stages.get(0)).isCancelled();
        assertThat(backend.calls).extracting(Credentials::username).containsExactly("u1", "u2");
        backend.stages.get(1).complete(AuthResult.success(Principal.of("u2")));
        assertThat(next.getNow().name()).isEqualTo("u2");
    }

    @Test
    void aFloodFromOneSource_doesNotStarveAnother() {
        Pending backend = new Pending();
        AuthChain chain = chain(guard(0), new LoginQueue(ticker, 1), backend);
        for (int i = 0; i < 25; i++) {
            chain.authenticate(Credentials.password("alice", "guess-" + i), FROM_A, loop);
        }
        Future<Principal> legit = chain.authenticate(Credentials.password("bob", "right"), FROM_B, loop);

        backend.stages.get(0).complete(AuthResult.failure("bad_password"));
        backend.stages.get(1).complete(AuthResult.failure("bad_password"));
        backend.answerAll("right");

        assertThat(backend.calls.get(2).username()).isEqualTo("bob");
        assertThat(legit.getNow().name()).isEqualTo("bob");
        assertThat(backend.calls).hasSize(26);
    }

    @Test
    void ipv6Clients_ofOneSlash64_shareTheLockout() {
        Immediate backend = new Immediate();
        AuthChain chain = chain(new LoginGuard(ticker, 2, 0, WINDOW, LOCKOUT, Duration.ZERO, 64),
                new LoginQueue(ticker, 4), backend);
        refusal(chain.authenticate(Credentials.password("alice", "g1"), context("2001:db8:0:7::1"), loop));
        refusal(chain.authenticate(Credentials.password("alice", "g2"), context("2001:db8:0:7::2"), loop));

        assertThat(refusal(chain.authenticate(Credentials.password("alice", "alice-pw"), context("2001:db8:0:7::3"),
                loop)).rule()).isEqualTo("locked_out");
        assertThat(chain.authenticate(Credentials.password("alice", "alice-pw"), context("2001:db8:0:8::1"), loop)
                .isSuccess()).isTrue();
    }

    @Test
    void printableUser_quotesAndBoundsTheName_escapingWhatCouldForgeALogLine() {
        assertThat(AuthChain.printableUser(null)).isEqualTo("-");
        assertThat(AuthChain.printableUser("alice")).isEqualTo("\"alice\"");
        assertThat(AuthChain.printableUser("a\r\nWARN fake")).isEqualTo("\"a\\u000d\\u000aWARN fake\"");
        assertThat(AuthChain.printableUser("q\"b\\")).isEqualTo("\"q\\u0022b\\u005c\"");
        assertThat(AuthChain.printableUser("evil\u202Egnp.exe")).isEqualTo("\"evil\\u202egnp.exe\"");
        assertThat(AuthChain.printableUser("x\u2028y\u0085z\u007f")).isEqualTo("\"x\\u2028y\\u0085z\\u007f\"");
        assertThat(AuthChain.printableUser("lone\uD800")).isEqualTo("\"lone\\ud800\"");
        assertThat(AuthChain.printableUser("smile\uD83D\uDE00")).isEqualTo("\"smile\uD83D\uDE00\"");
        assertThat(AuthChain.printableUser("x".repeat(300))).isEqualTo("\"" + "x".repeat(64) + "\"...(300 chars)");
        assertThat(AuthChain.printableUser("x".repeat(63) + "\uD83D\uDE00"))
                .isEqualTo("\"" + "x".repeat(63) + "\"...(65 chars)");
    }
}

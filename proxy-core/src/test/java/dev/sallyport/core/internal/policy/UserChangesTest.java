package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.SessionException;
import dev.sallyport.core.testing.FakeTicker;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What core does when its user store reports a change: credential versions taken out of the
 * principal and compared, sessions of older credentials closed, duplicates harmless, and a full
 * re-check when changes may have been missed.
 */
@Timeout(30)
class UserChangesTest {

    private static final AuthContext CONTEXT = new AuthContext(new InetSocketAddress("192.0.2.1", 40000), Protocol.SOCKS5);
    private static final InetAddress IP = CONTEXT.client().getAddress();

    private final FakeTicker ticker = new FakeTicker();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final InMemoryUserStore users = new InMemoryUserStore();
    private final UserLimits limits = new UserLimits(ticker, Limits.NONE);
    /** The version the backend reports for each password (the password is the version). */
    private final Map<String, CompletableFuture<AuthResult>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger backendCalls = new AtomicInteger();
    private final AuthBackend backend = new AuthBackend() {
        @Override
        public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
            backendCalls.incrementAndGet();
            CompletableFuture<AuthResult> held = pending.remove(credentials.username());
            if (held != null) {
                return held;
            }
            return CompletableFuture.completedFuture(versioned(credentials.username(),
                    ((Credentials.UsernamePassword) credentials).password()));
        }

        @Override
        public String name() {
            return "versioned";
        }
    };
    private final AuthChain auth = chain(backend);
    private final UserChanges changes = new UserChanges(users, auth, limits);

    /** A session slot holder that records why it was revoked. */
    private static final class Session implements UserLimits.Holder {
        final List<String> revoked = new CopyOnWriteArrayList<>();

        @Override
        public void revoke(String reason) {
            revoked.add(reason);
        }
    }

    @AfterEach
    void close() {
        users.close();
        assertThat(channel.finish()).isFalse();
    }

    /** A chain of {@code backend} without lockout. */
    private AuthChain chain(AuthBackend backend) {
        return new AuthChain(true, List.of(backend), Duration.ofMinutes(5), Duration.ofSeconds(10), ticker,
                new LoginGuard(ticker, 0, 0, Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMillis(100), 64),
                new LoginQueue(ticker, 4));
    }

    private static AuthResult versioned(String user, String version) {
        return AuthResult.success(new Principal(user, Limits.NONE,
                Map.of(Principal.CREDENTIAL_VERSION, version, "ports", "443")));
    }

    private Principal login(String user, String version) {
        Future<Principal> login = auth.authenticate(Credentials.password(user, version), CONTEXT, channel.eventLoop());
        channel.runPendingTasks();
        assertThat(login.isSuccess()).as("login of %s with version %s", user, version).isTrue();
        return login.getNow();
    }

    private Session open(Principal principal) {
        Session session = new Session();
        assertThat(limits.admit(principal, IP, session).refusal()).isNull();
        return session;
    }

    @Test
    void credentialVersion_isTakenOutOfThePrincipal_beforeRulesSeeIt() {
        Principal alice = login("alice", "7");

        assertThat(alice.attributes()).containsExactly(Map.entry("ports", "443"));
        assertThat(auth.credentialVersion(alice)).isEqualTo(7);
        assertThat(login("alice", "7")).as("the cached login").isSameAs(alice);
        assertThat(backendCalls).hasValue(1);
        assertThat(auth.credentialVersion(Principal.of("alice"))).isEqualTo(AuthChain.NO_VERSION);
    }

    @Test
    void credentialsChanged_closesTheSessionsOfOlderCredentialsOnly_andTwiceIsLikeOnce() {
        join(users.create("alice", "pw", Limits.NONE));
        Session old = open(login("alice", "7"));
        Session current = open(login("alice", "8"));
        Session unversioned = open(Principal.of("alice"));

        changes.credentialsChanged("alice", 8);
        changes.credentialsChanged("alice", 8);

        assertThat(old.revoked).containsExactly("credentials rotated", "credentials rotated");
        assertThat(unversioned.revoked).as("cannot tell: closed").contains("credentials rotated");
        assertThat(current.revoked).isEmpty();
    }

    @Test
    void aCheckThatReadTheOldCredentials_isRefused_whenTheRotationWasHeardFirst() {
        CompletableFuture<AuthResult> slow = new CompletableFuture<>();
        pending.put("alice", slow);
        Future<Principal> login = auth.authenticate(Credentials.password("alice", "7"), CONTEXT, channel.eventLoop());
        channel.runPendingTasks();

        changes.credentialsChanged("alice", 8);
        slow.complete(versioned("alice", "7"));
        channel.runPendingTasks();

        assertThat(login.cause()).isInstanceOf(SessionException.class);
        assertThat(((SessionException) login.cause()).rule()).isEqualTo("credentials_rotated");
        assertThat(login("alice", "8")).as("the new credentials log in").isNotNull();
    }

    @Test
    void everythingChanged_forgetsEveryCachedLogin_andRechecksUsersWithSessions() {
        join(users.create("alice", "pw", Limits.NONE));
        join(users.create("bob", "pw", Limits.NONE));
        Principal carol = login("carol", "3");
        Session alice = open(login("alice", "5"));
        Session bob = open(login("bob", "6"));
        join(users.enable("bob", false)); // missed: nobody listens to this store
        users.delete("carol");

        changes.everythingChanged();

        await().atMost(Duration.ofSeconds(10)).until(() -> !bob.revoked.isEmpty());
        assertThat(bob.revoked).containsExactly("user disabled");
        assertThat(alice.revoked).isEmpty();
        int calls = backendCalls.get();
        assertThat(login("carol", "3")).as("checked again, not cached").isNotSameAs(carol);
        assertThat(backendCalls).hasValue(calls + 1);
    }

    @Test
    void inMemoryRotate_closesTheSessionsOfTheOldCredentials_only() {
        AuthChain chain = chain(users);
        users.addListener(new UserChanges(users, chain, limits));
        NewCredentials old = join(users.create("alice", null, Limits.NONE));
        Session oldSession = open(tokenLogin(chain, old.token()));

        NewCredentials rotated = join(users.rotate("alice"));
        Session newSession = open(tokenLogin(chain, rotated.token()));
        join(users.update("alice", Limits.NONE.withMaxSessions(5)));

        assertThat(oldSession.revoked).containsExactly("credentials rotated");
        assertThat(newSession.revoked).isEmpty();
    }

    private Principal tokenLogin(AuthChain chain, String token) {
        Future<Principal> login = chain.authenticate(Credentials.token(token), CONTEXT, channel.eventLoop());
        channel.runPendingTasks();
        assertThat(login.isSuccess()).as("token login").isTrue();
        return login.getNow();
    }

    private static <T> T join(CompletionStage<T> stage) {
        return stage.toCompletableFuture().join();
    }
}

package dev.sallyport.socks5;

import dev.sallyport.api.AuthResult;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Lockout races with real SOCKS5 connections on loopback: concurrent guesses count while their
 * checks still run, the per-client connection cap refuses before any password check, and an
 * attacker's own successful logins do not reset the count for the name they guess at.
 */
@Timeout(60)
class LoginRaceTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Login failures by reason, and the sessions that ended. */
    private static final class Recorded implements MetricsSink {
        final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        final List<SessionSummary> sessions = new CopyOnWriteArrayList<>();

        @Override
        public void authFailed(Protocol protocol, String reason) {
            failures.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void sessionClosed(SessionSummary summary) {
            sessions.add(summary);
        }

        int failures(String reason) {
            AtomicInteger count = failures.get(reason);
            return count == null ? 0 : count.get();
        }
    }

    @Test
    void concurrentWrongPasswordsFromOneIp_onlyMaxLoginFailuresReachTheBackend_theRestAreTurnedAway()
            throws Exception {
        int clients = 100;
        int maxFailures = 10;
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<AuthResult> verdict = new CompletableFuture<>();
        Recorded metrics = new Recorded();
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).maxLoginFailures(maxFailures)
                .loginBackoff(Duration.ZERO).metrics(metrics)
                .auth((credentials, context) -> {
                    calls.incrementAndGet();
                    return verdict;
                }).start()) {
            InetSocketAddress address = proxy.address("socks5");
            CountDownLatch connected = new CountDownLatch(clients);
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger answered = new AtomicInteger();
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                String guess = "guess-" + i;
                statuses.add(threads.submit(() -> {
                    try (LoginSocket socket = LoginSocket.open(address, LOOPBACK)) {
                        connected.countDown();
                        go.await();
                        int status = socket.send("alice", guess).status();
                        answered.incrementAndGet();
                        return status;
                    }
                }));
            }
            assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
            go.countDown();

            // Every guess is either with the backend or already answered without it.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> answered.get() >= clients - maxFailures || calls.get() >= clients);
            verdict.complete(AuthResult.failure("bad_password"));

            for (Future<Integer> status : statuses) {
                assertThat(status.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            }
            assertThat(calls).as("password checks run").hasValue(maxFailures);
            assertThat(metrics.failures("login_limit")).as("turned away unchecked").isEqualTo(clients - maxFailures);
            assertThat(LoginSocket.login(address, LOOPBACK, "alice", "another-guess")).isEqualTo(1);
            assertThat(calls).hasValue(maxFailures);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void overThePerClientCap_theLoginIsRefused_beforeAnyPasswordCheck() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Recorded metrics = new Recorded();
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).maxConnectionsPerClient(1).metrics(metrics)
                .auth((credentials, context) -> {
                    calls.incrementAndGet();
                    return CompletableFuture.completedFuture(AuthResult.success(Principal.of(credentials.username())));
                }).start();
             LoginSocket first = LoginSocket.open(proxy.address("socks5"), LOOPBACK)) {
            assertThat(first.send("alice", "pw").status()).isZero();

            assertThat(LoginSocket.login(proxy.address("socks5"), LOOPBACK, "bob", "other-pw"))
                    .as("RFC 1929 failure status").isEqualTo(1);

            assertThat(calls).as("password checks run").hasValue(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> !metrics.sessions.isEmpty());
            assertThat(metrics.sessions.get(0).outcome()).isEqualTo(Outcome.LIMITED);
            assertThat(metrics.sessions.get(0).rule()).isEqualTo("max-connections-per-client");
            assertThat(metrics.failures("max-connections-per-client")).isZero();
        }
    }

    @Test
    void anAttackersOwnLogins_doNotResetTheCount_theGuessedNameIsLockedAfterMaxLoginFailures() throws Exception {
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).user("alice", "alice-secret")
                .user("mallory", "mallory-secret").maxLoginFailures(3).loginBackoff(Duration.ZERO).start()) {
            InetSocketAddress address = proxy.address("socks5");
            for (int i = 0; i < 5; i++) {
                assertThat(LoginSocket.login(address, LOOPBACK, "mallory", "mallory-secret")).isZero();
                assertThat(LoginSocket.login(address, LOOPBACK, "alice", "guess-" + i)).isEqualTo(1);
            }

            assertThat(LoginSocket.login(address, LOOPBACK, "alice", "alice-secret"))
                    .as("alice is locked out from this address").isEqualTo(1);
            assertThat(LoginSocket.login(address, LOOPBACK, "mallory", "mallory-secret")).isZero();
            assertThat(LoginSocket.login(address, InetAddress.getByName("127.0.0.2"), "alice", "alice-secret"))
                    .as("from another address").isZero();
        }
    }
}

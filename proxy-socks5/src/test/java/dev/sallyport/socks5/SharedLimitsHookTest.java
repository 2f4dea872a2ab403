package dev.sallyport.socks5;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Core's hook for fleet-wide limits, with a fleet the test controls: asked after the instance's
 * own limits, refusals answered like the instance's own, every granted lease released exactly
 * once however the session ends.
 */
@Timeout(60)
class SharedLimitsHookTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Answers each acquire as the test says; counts the releases of the leases it granted. */
    private static final class Fleet implements SharedLimits {
        volatile Supplier<CompletionStage<Lease>> answer = () -> CompletableFuture.completedFuture(lease());
        final LinkedBlockingQueue<String> asked = new LinkedBlockingQueue<>();
        final AtomicInteger granted = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();
        final AtomicInteger releasedTwice = new AtomicInteger();

        @Override
        public CompletionStage<Lease> acquire(String user, Limits limits) {
            asked.add(user + " " + limits.maxSessions());
            return answer.get();
        }

        Lease lease() {
            granted.incrementAndGet();
            AtomicInteger calls = new AtomicInteger();
            return () -> {
                if (calls.incrementAndGet() == 1) {
                    released.incrementAndGet();
                } else {
                    releasedTwice.incrementAndGet();
                }
            };
        }
    }

    private final Fleet fleet = new Fleet();
    private final SessionRecorder sessions = new SessionRecorder();
    private TcpServer echo;
    private ProxyManager proxy;
    private String password;

    @BeforeEach
    void start() throws Exception {
        echo = TcpServer.echo();
        proxy = ProxyManager.builder().socks5(0).requireAuthentication(true).metrics(sessions).sharedLimits(fleet)
                .drainTimeout(Duration.ZERO).connectTimeout(Duration.ofSeconds(1))
                .start();
        NewCredentials alice = proxy.users().create("alice", Limits.NONE.withMaxSessions(1)).toCompletableFuture().get();
        password = alice.password();
    }

    @AfterEach
    void stop() {
        proxy.close();
        echo.close();
        assertThat(fleet.releasedTwice).as("leases released more than once").hasValue(0);
    }

    private Socks5Client login(String user, String secret) throws IOException {
        Socks5Client client = Socks5Client.open(proxy.address("socks5"));
        assertThat(client.login(user, secret)).isZero();
        return client;
    }

    @Test
    void fleetRefusal_repliesNotAllowed_limitedWithTheFleetsRule_andGivesTheLocalSlotBack() throws Exception {
        fleet.answer = () -> CompletableFuture.completedFuture(
                SharedLimits.Lease.refused(SharedLimits.Refusal.MAX_SESSIONS, "user has 3 of 3 sessions open in the fleet"));
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isEqualTo(2);
        }
        SessionSummary refused = sessions.takeSession(WAIT);
        assertThat(refused.outcome()).isEqualTo(Outcome.LIMITED);
        assertThat(refused.rule()).isEqualTo("max-sessions");
        assertThat(fleet.asked.poll()).isEqualTo("alice 1");

        // The instance's own limit is 1: the refused session did not keep its slot.
        fleet.answer = () -> CompletableFuture.completedFuture(fleet.lease());
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
        }
        await().atMost(WAIT).until(() -> fleet.released.get() == 1);
    }

    @Test
    void grantedLease_releasedExactlyOnce_whenTheClientCloses() throws Exception {
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
            assertThat(fleet.released).hasValue(0);
        }
        assertThat(sessions.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
        await().atMost(WAIT).until(() -> fleet.released.get() == 1);
        assertThat(fleet.granted).hasValue(1);
    }

    @Test
    void leaseGrantedAfterTheAdmissionTimedOut_releasedAtOnce_andTheLocalSlotFreed() throws Exception {
        CompletableFuture<SharedLimits.Lease> late = new CompletableFuture<>();
        fleet.answer = () -> late;
        try (Socks5Client client = login("alice", password)) {
            client.sendRequest(Socks5Client.CONNECT, "127.0.0.1", echo.port());
            assertThat(fleet.asked.poll(10, TimeUnit.SECONDS)).isEqualTo("alice 1");
        }
        // The connect timeout ends the admission while the fleet has not answered.
        assertThat(sessions.takeSession(WAIT).outcome()).isIn(Outcome.CONNECT_TIMEOUT, Outcome.CLIENT_CLOSED);
        assertThat(fleet.granted).hasValue(0);
        late.complete(fleet.lease());
        await().atMost(WAIT).until(() -> fleet.released.get() == 1);

        fleet.answer = () -> CompletableFuture.completedFuture(fleet.lease());
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
        }
    }

    @Test
    void acquireThatThrows_refusesWithGeneralFailure_andGivesTheLocalSlotBack() throws Exception {
        fleet.answer = () -> {
            throw new IllegalStateException("broken fleet");
        };
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isEqualTo(1);
        }
        assertThat(sessions.takeSession(WAIT).outcome()).isEqualTo(Outcome.ERROR);

        fleet.answer = () -> CompletableFuture.failedFuture(new IllegalStateException("failed fleet"));
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isEqualTo(1);
        }
        assertThat(sessions.takeSession(WAIT).outcome()).isEqualTo(Outcome.ERROR);
        assertThat(fleet.granted).hasValue(0);
    }

    @Test
    void userDisabled_closesTheSession_andReleasesItsLeaseOnce() throws Exception {
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
            proxy.users().enable("alice", false).toCompletableFuture().get();
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(sessions.takeSession(WAIT).outcome()).isEqualTo(Outcome.REVOKED);
        await().atMost(WAIT).until(() -> fleet.released.get() == 1);
    }

    @Test
    void managerClosed_releasesTheLeasesOfOpenSessions() throws Exception {
        try (Socks5Client client = login("alice", password)) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
            proxy.close();
            await().atMost(WAIT).until(() -> fleet.released.get() == 1);
        }
    }

    @Test
    void userWithoutLimits_neverAsksTheFleet() throws Exception {
        NewCredentials bob = proxy.users().create("bob", Limits.NONE).toCompletableFuture().get();
        try (Socks5Client client = login("bob", bob.password())) {
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).isZero();
        }
        assertThat(sessions.takeSession(WAIT).outcome()).isEqualTo(Outcome.OK);
        assertThat(fleet.asked).isEmpty();
    }
}

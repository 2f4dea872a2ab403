package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.api.SharedLimits;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.RawHttpClient;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three proxy instances on one PostgreSQL, each with its own store (its own instance id), as a
 * fleet behind a load balancer runs: per-user limits hold across them.
 */
@Timeout(180)
class FleetLimitsTest {

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    private static final int SOCKS_FORBIDDEN = 0x02;

    private final DataSource ds = TestDatabase.fresh();
    private final List<Instance> fleet = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();
    /** The clock of every instance's session-rate buckets: moves only when a test moves it. */
    private final AtomicReference<Instant> rateClock = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    /** One instance: cut off from the database by its own switch. */
    private record Instance(SwitchableDataSource db, JdbcStore store, ProxyManager proxy, SessionRecorder sessions,
                            Map<String, Double> shares) {
        FleetLimits limits() {
            return store.fleet();
        }
    }

    /** Passes everything through, remembering the last share core was told of per user. */
    private record RecordingShares(SharedLimits inner, Map<String, Double> last) implements SharedLimits {
        @Override
        public CompletionStage<Lease> acquire(String user, Limits limits) {
            return inner.acquire(user, limits);
        }

        @Override
        public void start(Shares shares) {
            inner.start((user, fraction) -> {
                last.put(user, fraction);
                shares.share(user, fraction);
            });
        }
    }

    private void startFleet(int instances, Duration heartbeat, Duration ttl) {
        for (int i = 0; i < instances; i++) {
            SwitchableDataSource db = new SwitchableDataSource(ds);
            JdbcStore store = JdbcStore.builder(db).leaseHeartbeat(heartbeat).leaseTtl(ttl)
                    .leaseTimeout(Duration.ofSeconds(5)).rateClock(rateClock::get).build();
            SessionRecorder sessions = new SessionRecorder();
            Map<String, Double> shares = new ConcurrentHashMap<>();
            ProxyManager proxy = ProxyManager.builder().socks5(0).http(0).auth(store).metrics(sessions)
                    .sharedLimits(new RecordingShares(store.fleetLimits(), shares)).start();
            fleet.add(new Instance(db, store, proxy, sessions, shares));
        }
    }

    private void startFleet() {
        startFleet(3, Duration.ofSeconds(5), Duration.ofSeconds(15));
    }

    @AfterEach
    void stop() throws Exception {
        closeClients();
        for (Instance instance : fleet) {
            instance.proxy().close();
            instance.store().close();
        }
    }

    private String createUser(String name, Limits limits) throws Exception {
        NewCredentials created = join(fleet.get(0).proxy().users().create(name, limits));
        return created.password();
    }

    /** Opens a SOCKS5 tunnel through {@code instance} and keeps it open; returns the CONNECT reply. */
    private int socks(Instance instance, String user, String password) throws IOException {
        Socks5Client client = Socks5Client.open(instance.proxy().address("socks5"));
        clients.add(client);
        assertThat(client.login(user, password)).as("login status").isZero();
        return client.connect("127.0.0.1", echo.port()).rep();
    }

    /** Opens an HTTP CONNECT tunnel through {@code instance} and keeps it open; returns the status. */
    private int http(Instance instance, String user, String password) throws IOException {
        RawHttpClient client = RawHttpClient.open(instance.proxy().address("http"));
        clients.add(client);
        return client.connect("127.0.0.1:" + echo.port(), RawHttpClient.proxyAuthorization(user, password)).status();
    }

    private long liveLeases(String user) {
        return TestDatabase.count(ds, "SELECT count(*) FROM sallyport_leases WHERE user_name = '" + user
                + "' AND expires_at > clock_timestamp()");
    }

    private void closeClients() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        clients.clear();
    }

    @Test
    void maxSessions3_opensSpreadOverThreeInstances_fourthRefusedOnEveryInstance_socks5AndHttp() throws Exception {
        startFleet();
        String password = createUser("alice", Limits.NONE.withMaxSessions(3));

        assertThat(socks(fleet.get(0), "alice", password)).isZero();
        assertThat(http(fleet.get(1), "alice", password)).isEqualTo(200);
        assertThat(socks(fleet.get(2), "alice", password)).isZero();
        assertThat(liveLeases("alice")).isEqualTo(3);

        for (Instance instance : fleet) {
            assertThat(socks(instance, "alice", password)).as("SOCKS5 reply").isEqualTo(SOCKS_FORBIDDEN);
            SessionSummary refused = instance.sessions().takeSession(Duration.ofSeconds(10));
            assertThat(refused.outcome()).isEqualTo(Outcome.LIMITED);
            assertThat(refused.rule()).isEqualTo("max-sessions");
            assertThat(http(instance, "alice", password)).as("HTTP status").isEqualTo(429);
        }
        // Every instance holds at most one session locally: the refusals were the fleet's.
        assertThat(liveLeases("alice")).isEqualTo(3);
    }

    @Test
    void twelveConcurrentOpensAcrossInstances_exactlyThreeAdmitted() throws Exception {
        startFleet();
        String password = createUser("bob", Limits.NONE.withMaxSessions(3));
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> replies = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                Instance instance = fleet.get(i % 3);
                Socks5Client client = Socks5Client.open(instance.proxy().address("socks5"));
                synchronized (clients) {
                    clients.add(client);
                }
                assertThat(client.login("bob", password)).isZero();
                replies.add(pool.submit(() -> {
                    go.await();
                    return client.connect("127.0.0.1", echo.port()).rep();
                }));
            }
            go.countDown();
            int admitted = 0;
            int refused = 0;
            for (Future<Integer> reply : replies) {
                int rep = reply.get();
                if (rep == 0) {
                    admitted++;
                } else if (rep == SOCKS_FORBIDDEN) {
                    refused++;
                }
            }
            assertThat(admitted).isEqualTo(3);
            assertThat(refused).isEqualTo(9);
            assertThat(liveLeases("bob")).isEqualTo(3);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sessionClosedOnOneInstance_freesTheSlotOnAnother() throws Exception {
        startFleet();
        String password = createUser("carol", Limits.NONE.withMaxSessions(2));
        assertThat(socks(fleet.get(0), "carol", password)).isZero();
        assertThat(socks(fleet.get(1), "carol", password)).isZero();
        assertThat(socks(fleet.get(2), "carol", password)).isEqualTo(SOCKS_FORBIDDEN);

        clients.get(0).close();
        await().atMost(Duration.ofSeconds(20)).until(() -> liveLeases("carol") == 1);

        assertThat(socks(fleet.get(2), "carol", password)).isZero();
        assertThat(liveLeases("carol")).isEqualTo(2);
    }

    @Test
    void crashedInstance_itsLeasesExpireAfterTheTtl_thenAnotherInstanceAdmits() throws Exception {
        startFleet(3, Duration.ofMillis(200), Duration.ofSeconds(3));
        String password = createUser("dave", Limits.NONE.withMaxSessions(3));
        Instance crashed = fleet.get(0);
        for (int i = 0; i < 3; i++) {
            assertThat(socks(crashed, "dave", password)).isZero();
        }
        // Cut off from the database without releasing anything: to the fleet it is gone.
        crashed.db().reachable(false);
        assertThat(socks(fleet.get(1), "dave", password)).as("before expiry").isEqualTo(SOCKS_FORBIDDEN);

        await().atMost(Duration.ofSeconds(30)).until(() -> liveLeases("dave") == 0);

        assertThat(socks(fleet.get(1), "dave", password)).as("after expiry").isZero();
        assertThat(socks(fleet.get(2), "dave", password)).isZero();
        // The survivors' heartbeats extend their leases; the crashed instance's rows are purged.
        Object latest = TestDatabase.query(ds, "SELECT max(expires_at) FROM sallyport_leases WHERE user_name = 'dave' "
                + "AND expires_at > clock_timestamp()").get(0).get(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(ds, "SELECT count(*) FROM sallyport_leases "
                + "WHERE user_name = 'dave' AND expires_at > TIMESTAMPTZ '" + latest + "'") == 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(ds,
                "SELECT count(*) FROM sallyport_leases WHERE user_name = 'dave'") == 2);
        assertThat(liveLeases("dave")).isEqualTo(2);
    }

    @Test
    void databaseUnreachable_perInstanceLimitsHold_recoveryRegistersTheLeasesAndIsLoggedOnce() throws Exception {
        startFleet(3, Duration.ofMillis(200), Duration.ofSeconds(2));
        String password = createUser("erin", Limits.NONE.withMaxSessions(2));
        // Logged in once while the database answers: the logins are then in each instance's auth cache.
        for (Instance instance : fleet) {
            assertThat(socks(instance, "erin", password)).isIn(0, SOCKS_FORBIDDEN);
        }
        closeClients();
        await().atMost(Duration.ofSeconds(20)).until(() -> liveLeases("erin") == 0);

        for (Instance instance : fleet) {
            instance.db().reachable(false);
        }
        for (Instance instance : fleet) {
            assertThat(socks(instance, "erin", password)).isZero();
            assertThat(socks(instance, "erin", password)).isZero();
            // The instance's own limit still holds.
            assertThat(socks(instance, "erin", password)).isEqualTo(SOCKS_FORBIDDEN);
            assertThat(instance.limits().inFallback()).isTrue();
        }

        for (Instance instance : fleet) {
            instance.db().reachable(true);
        }
        // Each heartbeat registers the sessions opened meanwhile: the fleet counts 6 of 2.
        await().atMost(Duration.ofSeconds(20)).until(() -> liveLeases("erin") == 6
                && fleet.stream().noneMatch(i -> i.limits().inFallback()));
        for (Instance instance : fleet) {
            assertThat(instance.limits().transitions()).as("fallbacks, recoveries").containsExactly(1, 1);
            assertThat(socks(instance, "erin", password)).isEqualTo(SOCKS_FORBIDDEN);
        }
    }

    @Test
    void sessionRate2PerSecond_sharedByTheInstances_refillsWithTheClock() throws Exception {
        startFleet();
        String password = createUser("frank", new Limits(0, 2, 0, 0));

        assertThat(socks(fleet.get(0), "frank", password)).isZero();
        assertThat(socks(fleet.get(1), "frank", password)).isZero();
        assertThat(socks(fleet.get(2), "frank", password)).isEqualTo(SOCKS_FORBIDDEN);
        SessionSummary refused = fleet.get(2).sessions().takeSession(Duration.ofSeconds(10));
        assertThat(refused.rule()).isEqualTo("sessions-per-second");
        // On the instance whose own bucket is spent anyway: the HTTP refusal takes a token of it.
        assertThat(http(fleet.get(1), "frank", password)).isEqualTo(429);

        rateClock.set(rateClock.get().plusMillis(500));
        assertThat(socks(fleet.get(2), "frank", password)).isZero();
        assertThat(socks(fleet.get(0), "frank", password)).isEqualTo(SOCKS_FORBIDDEN);
    }

    @Test
    void bandwidthShare_followsWhereTheUsersSessionsAre_atAcquireAndHeartbeat() throws Exception {
        startFleet();
        String password = createUser("grace", Limits.NONE.withBandwidth(90_000));

        assertThat(socks(fleet.get(0), "grace", password)).isZero();
        assertThat(fleet.get(0).shares()).containsEntry("grace", 1.0);
        assertThat(socks(fleet.get(1), "grace", password)).isZero();
        assertThat(fleet.get(1).shares()).containsEntry("grace", 0.5);
        assertThat(socks(fleet.get(0), "grace", password)).isZero();
        assertThat(fleet.get(0).shares()).containsEntry("grace", 2.0 / 3);

        fleet.get(1).limits().beat();
        assertThat(fleet.get(1).shares()).containsEntry("grace", 1.0 / 3);

        clients.get(1).close();
        await().atMost(Duration.ofSeconds(20)).until(() -> liveLeases("grace") == 2);
        fleet.get(0).limits().beat();
        assertThat(fleet.get(0).shares()).containsEntry("grace", 1.0);
    }
}

package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Command;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The accounting sink against a real PostgreSQL: batching, bounds, idempotence, bad records. */
@Timeout(120)
class AccountingTest {

    /** Far above the ids core gives real sessions, which share the sink's instance id in some tests. */
    private static final AtomicLong IDS = new AtomicLong(1L << 40);
    private static final Instant T0 = Instant.parse("2030-01-01T10:15:00Z");

    static SessionSummary session(String user, long up, long down, Instant started, String target) {
        return new SessionSummary(IDS.incrementAndGet(), user, new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000),
                Protocol.SOCKS5, Command.CONNECT, target, 443, up, down, started, Duration.ofMillis(250), Outcome.OK, null);
    }

    private static long count(DataSource ds, String sql) {
        return TestDatabase.count(ds, sql);
    }

    @Test
    void write_sameBatchTwice_logsEachSessionOnce_andAddsUsageOnce() {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            List<SessionSummary> batch = List.of(session("alice", 100, 1000, T0, "a.test"),
                    session("alice", 20, 200, T0.plusSeconds(1), "b.test"), session("bob", 3, 30, T0, "c.test"));

            sink.write(batch);
            // As after a commit whose answer was lost: the whole batch again, plus one new record.
            sink.write(List.of(batch.get(0), batch.get(1), batch.get(2), session("bob", 4, 40, T0, "d.test")));

            assertThat(count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(4);
            assertThat(TestDatabase.query(ds, "SELECT user_name, bytes_up, bytes_down, sessions FROM sallyport_usage_hourly "
                    + "ORDER BY user_name")).containsExactly(
                    List.of("alice", 120L, 1200L, 2L),
                    List.of("bob", 7L, 70L, 2L));
        }
    }

    @Test
    void usage_isBucketedByTheUtcHourOfTheSessionStart() {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            Instant eleven = Instant.parse("2030-01-01T11:00:00Z");
            sink.write(List.of(session("carol", 1, 1, eleven.minusMillis(1), "x"), session("carol", 2, 2, eleven, "x"),
                    session("carol", 4, 4, eleven.plusSeconds(3599), "x")));
            assertThat(TestDatabase.query(ds, "SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
                    + "bytes_up, sessions FROM sallyport_usage_hourly ORDER BY hour"))
                    .containsExactly(List.of("2030-01-01 10:00:00", 1L, 1L), List.of("2030-01-01 11:00:00", 6L, 2L));
        }
    }

    @Test
    void fullBatch_isWrittenWithoutWaitingForTheInterval_andCloseWritesTheRest() {
        DataSource ds = TestDatabase.fresh();
        JdbcStore store = JdbcStore.builder(ds).batchSize(100).flushInterval(Duration.ofHours(1))
                .maxBackoff(Duration.ofHours(1)).build();
        MetricsSink sink = store.accounting();
        for (int i = 0; i < 250; i++) {
            sink.sessionClosed(session("dave", 1, 2, T0, "t"));
        }
        // A full batch wakes the flusher long before the one-hour interval; once awake it writes
        // whatever is queued, so how many of the 250 it has written depends on timing: at least 100.
        await().atMost(Duration.ofSeconds(20)).until(() -> store.writtenRecords() >= 100);
        assertThat(store.writtenRecords() + store.bufferedRecords()).isEqualTo(250);
        assertThat(count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(store.writtenRecords());

        store.close();

        assertThat(count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(250);
        assertThat(TestDatabase.query(ds, "SELECT bytes_up, bytes_down, sessions FROM sallyport_usage_hourly").get(0))
                .containsExactly(250L, 500L, 250L);
        assertThat(store.droppedRecords()).isZero();
        // After close, records are refused and counted, never lost silently.
        sink.sessionClosed(session("dave", 1, 1, T0, "t"));
        assertThat(store.droppedRecords()).isEqualTo(1);
    }

    @Test
    void unreachableDatabase_holdsUpToTheBound_countsDrops_andCountsWhatCloseCannotWrite() throws IOException {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        JdbcStore store = JdbcStore.builder(TestDatabase.dataSource(deadPort, "postgres")).migrate(false)
                .batchSize(2).bufferSize(5).flushInterval(Duration.ofMillis(20)).maxBackoff(Duration.ofMillis(100))
                .closeTimeout(Duration.ZERO).build();
        MetricsSink sink = store.accounting();
        for (int i = 0; i < 8; i++) {
            sink.sessionClosed(session("erin", 1, 1, T0, "t"));
        }
        assertThat(store.droppedRecords()).isEqualTo(3);
        assertThat(store.bufferedRecords()).isEqualTo(5);
        assertThat(store.flush().toCompletableFuture().join()).isFalse();
        assertThat(store.bufferedRecords()).isEqualTo(5);

        store.close();

        assertThat(store.droppedRecords()).isEqualTo(8);
        assertThat(store.bufferedRecords()).isZero();
    }

    @Test
    void recordTheDatabaseRefuses_isDroppedAlone_theRestOfItsBatchIsWritten() {
        DataSource ds = TestDatabase.fresh();
        JdbcStore store = JdbcStore.builder(ds).flushInterval(Duration.ofHours(1)).maxBackoff(Duration.ofHours(1)).build();
        execute(ds, "ALTER TABLE sallyport_access_log ADD CONSTRAINT no_evil CHECK (target_host <> 'evil.test')");
        MetricsSink sink = store.accounting();
        sink.sessionClosed(session("frank", 1, 1, T0, "good1.test"));
        sink.sessionClosed(session("frank", 2, 2, T0, "evil.test"));
        sink.sessionClosed(session("frank", 4, 4, T0, "good2.test"));

        assertThat(store.flush().toCompletableFuture().join()).isTrue();

        assertThat(store.droppedRecords()).isEqualTo(1);
        assertThat(store.writtenRecords()).isEqualTo(2);
        assertThat(TestDatabase.query(ds, "SELECT bytes_up, sessions FROM sallyport_usage_hourly").get(0))
                .containsExactly(5L, 2L);
        store.close();
    }

    @Test
    void clientControlledTextWithNul_isStoredWithAReplacementCharacter() {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            store.accounting().sessionClosed(session("gina", 1, 1, T0, "evil\0host'; --"));
            assertThat(store.flush().toCompletableFuture().join()).isTrue();
            assertThat(TestDatabase.query(ds, "SELECT target_host FROM sallyport_access_log").get(0))
                    .containsExactly("evil\uFFFDhost'; --");
        }
    }

    @Test
    void operatorQueries_usageTopUsersHourlyAndRecentSessions() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            sink.write(List.of(
                    session("ann", 100, 100, T0, "a"),
                    session("ann", 50, 0, T0.plus(Duration.ofHours(1)), "b"),
                    session("ben", 1000, 1000, T0, "c"),
                    session("cat", 10, 10, T0, "d"),
                    session("cat", 10, 10, T0.minus(Duration.ofDays(1)), "old"),
                    session(null, 99, 99, T0, "anonymous")));
            Instant since = T0.minus(Duration.ofMinutes(5));
            Instant until = T0.plus(Duration.ofHours(3));

            assertThat(join(store.usage(since, until))).containsExactly(
                    new JdbcStore.Usage("ann", 150, 100, 2),
                    new JdbcStore.Usage("ben", 1000, 1000, 1),
                    new JdbcStore.Usage("cat", 10, 10, 1));
            assertThat(join(store.topUsers(since, until, 2))).extracting(JdbcStore.Usage::user).containsExactly("ben", "ann");
            assertThat(join(store.hourlyUsage("ann", since, until))).extracting(JdbcStore.HourlyUsage::hour)
                    .containsExactly(Instant.parse("2030-01-01T10:00:00Z"), Instant.parse("2030-01-01T11:00:00Z"));
            assertThat(join(store.recentSessions("cat", 1))).singleElement()
                    .satisfies(s -> assertThat(s.targetHost()).isEqualTo("d"));
            assertThat(join(store.recentSessions("cat", 10))).extracting(JdbcStore.SessionRecord::targetHost)
                    .containsExactly("d", "old");
            assertThat(count(ds, "SELECT count(*) FROM sallyport_access_log WHERE user_name IS NULL")).isEqualTo(1);
        }
    }

    private static void execute(DataSource ds, String sql) {
        try (var c = ds.getConnection(); var s = c.createStatement()) {
            s.execute(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}

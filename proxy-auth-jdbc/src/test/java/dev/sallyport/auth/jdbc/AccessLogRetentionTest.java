package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Migration 4 (the access log partitioned by UTC day), its partitions, retention and prune, on a real PostgreSQL. */
@Timeout(180)
class AccessLogRetentionTest {

    /** Every column of the access log as of version 3, as text, in a fixed order: equal fingerprints, equal rows. */
    private static final String FINGERPRINT = "SELECT count(*), md5(string_agg(concat_ws('|', instance_id, session_id, "
            + "started_at, user_name, client_address, client_port, protocol, command, target_host, target_port, outcome, "
            + "rule, bytes_up, bytes_down, duration_ms), ',' ORDER BY instance_id, session_id)) FROM sallyport_access_log";

    private static final String SIZE = "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('sallyport_access_log')";

    /** Creates the schema as version 3 left it. */
    private static void migrateToVersion3(DataSource ds) {
        TestDatabase.migrateTo(ds, 3);
    }

    /** {@code rows} rows spread evenly over the {@code days} days before now, two instances, some anonymous. */
    private static void insertRows(DataSource ds, int rows, int days) {
        Jdbi.create(ds).useHandle(h -> h.execute("""
                INSERT INTO sallyport_access_log (instance_id, session_id, started_at, user_name, client_address,
                    client_port, protocol, command, target_host, target_port, outcome, rule, bytes_up, bytes_down, duration_ms)
                SELECT CASE WHEN i % 2 = 0 THEN 'a0000000-0000-0000-0000-000000000001'::uuid
                            ELSE 'b0000000-0000-0000-0000-000000000002'::uuid END,
                       i, now() - (i::double precision / ? * ?) * INTERVAL '1 day',
                       CASE WHEN i % 7 = 0 THEN NULL ELSE 'user' || (i % 50) END,
                       CASE WHEN i % 11 = 0 THEN NULL ELSE '10.0.' || (i % 200) || '.' || (i % 250) END::inet,
                       40000 + i % 20000, 'socks5', CASE WHEN i % 13 = 0 THEN NULL ELSE 'CONNECT' END,
                       'host' || (i % 300) || '.example', 443, CASE WHEN i % 9 = 0 THEN 'AUTH_FAILED' ELSE 'OK' END,
                       NULL, i * 3, i * 17, i % 5000
                FROM generate_series(1, ?) AS i""", rows, days, rows));
    }

    private static String partition(LocalDate day) {
        return "sallyport_access_log_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    private static List<Object> partitions(DataSource ds) {
        return TestDatabase.query(ds, "SELECT relid::text FROM pg_partition_tree('sallyport_access_log') "
                + "WHERE isleaf ORDER BY 1").stream().map(row -> row.get(0)).toList();
    }

    private static void addDays(DataSource ds, int fromDaysAgo, int toDaysAhead) {
        TestDatabase.query(ds, "SELECT sallyport_access_log_add_days((now() AT TIME ZONE 'UTC')::date - " + fromDaysAgo
                + ", (now() AT TIME ZONE 'UTC')::date + " + toDaysAhead + ")");
    }

    @Test
    void migrate_version3DatabaseWithRows_movesEveryRowIntoItsUtcDayPartition() throws Exception {
        DataSource ds = TestDatabase.fresh();
        migrateToVersion3(ds);
        insertRows(ds, 20_000, 10);
        List<Object> before = TestDatabase.query(ds, FINGERPRINT).get(0);

        assertThat(Schema.migrate(Jdbi.create(ds))).isEqualTo(Schema.MIGRATIONS.size() - 3);

        assertThat(TestDatabase.query(ds, FINGERPRINT).get(0)).isEqualTo(before);
        assertThat(before.get(0)).isEqualTo(20_000L);
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM pg_class WHERE relname = 'sallyport_access_log' "
                + "AND relkind = 'p'")).isOne();
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM pg_class WHERE relname LIKE 'sallyport_access_log_v3%'"))
                .isZero();
        // One partition per UTC day with rows (not for empty days), and the ones writers need next; nothing in DEFAULT.
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<Object> expected = new java.util.ArrayList<>(TestDatabase.query(ds, "SELECT DISTINCT 'sallyport_access_log_' || "
                + "to_char(started_at AT TIME ZONE 'UTC', 'YYYYMMDD') FROM sallyport_access_log").stream()
                .map(row -> row.get(0)).toList());
        for (int d = -1; d <= AccessLogPartitions.DAYS_AHEAD; d++) {
            if (!expected.contains(partition(today.plusDays(d)))) {
                expected.add(partition(today.plusDays(d)));
            }
        }
        expected.add("sallyport_access_log_default");
        assertThat(expected).hasSizeGreaterThanOrEqualTo(10 + 1);
        assertThat(partitions(ds)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log_default")).isZero();
        // Each row sits in the partition of its UTC day.
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log WHERE tableoid::regclass::text "
                + "<> 'sallyport_access_log_' || to_char(started_at AT TIME ZONE 'UTC', 'YYYYMMDD')")).isZero();
        assertThat(TestDatabase.query(ds, "SELECT indexname FROM pg_indexes WHERE tablename = 'sallyport_access_log'"))
                .extracting(row -> row.get(0))
                .contains("sallyport_access_log_pkey", "sallyport_access_log_user_time", "sallyport_access_log_time");
    }

    @Test
    void prune_dropsTheDayPartitionsOlderThanTheRetention_andTheTableShrinks() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            addDays(ds, 41, 0);
            insertRows(ds, 80_000, 40);
            // A row of a day without a partition lands in DEFAULT; pruning deletes it too.
            Jdbi.create(ds).useHandle(h -> h.execute("INSERT INTO sallyport_access_log (instance_id, session_id, "
                    + "started_at, client_port, protocol, target_port, outcome, bytes_up, bytes_down, duration_ms) VALUES "
                    + "(gen_random_uuid(), 1, now() - INTERVAL '100 days', 1, 'socks5', 0, 'OK', 0, 0, 0)"));
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log_default")).isOne();
            Jdbi.create(ds).useHandle(h -> h.execute("ANALYZE sallyport_access_log"));
            long sizeBefore = TestDatabase.count(ds, SIZE);
            int partitionsBefore = partitions(ds).size();
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            LocalDate cutoff = LocalDate.ofInstant(java.time.Instant.now().minus(Duration.ofDays(30)), ZoneOffset.UTC);

            int dropped = join(store.prune(Duration.ofDays(30)));

            List<Object> left = partitions(ds);
            assertThat(left).doesNotContain(partition(cutoff.minusDays(1)), partition(cutoff.minusDays(10)))
                    .contains(partition(cutoff), partition(today), "sallyport_access_log_default");
            assertThat(dropped).isEqualTo(partitionsBefore - left.size()).isGreaterThanOrEqualTo(10);
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log WHERE started_at < '"
                    + cutoff + " 00:00:00+00'")).isZero();
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log_default")).isZero();
            long sizeAfter = TestDatabase.count(ds, SIZE);
            // About 30 of 40 days remain: the space of the other 10 is given back at once.
            assertThat(sizeAfter).isLessThan(sizeBefore * 85 / 100);
            // Run again: nothing left to drop.
            assertThat(join(store.prune(Duration.ofDays(30)))).isZero();
        }
    }

    @Test
    void prune_fromTwoInstancesAtOnce_dropsEachPartitionOnce() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore one = JdbcStore.create(ds); JdbcStore two = JdbcStore.create(ds)) {
            addDays(ds, 20, 0);
            int before = partitions(ds).size();
            CompletableFuture<Integer> a = one.prune(Duration.ofDays(3)).toCompletableFuture();
            CompletableFuture<Integer> b = two.prune(Duration.ofDays(3)).toCompletableFuture();
            int dropped = join(a) + join(b);
            assertThat(dropped).isEqualTo(before - partitions(ds).size()).isGreaterThanOrEqualTo(17);
        }
    }

    @Test
    void writer_createsThePartitionsOfTodayAndTheNextDays_andDropsOldOnesWithARetention() throws Exception {
        DataSource ds = TestDatabase.fresh();
        JdbcStore.create(ds).close();
        addDays(ds, 50, 0);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        try (JdbcStore store = JdbcStore.builder(ds).retention(Duration.ofDays(7)).build()) {
            store.accounting();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(partitions(ds))
                    .contains(partition(today), partition(today.plusDays(1)), partition(today.plusDays(2)))
                    .doesNotContain(partition(today.minusDays(20)), partition(today.minusDays(50))));
        }
    }

    @Test
    void aRowOfADayWithoutPartition_landsInDefault_andMovesWhenItsPartitionIsCreated() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            java.time.Instant later = java.time.Instant.now().plus(Duration.ofDays(10));
            sink.write(List.of(AccountingTest.session("alice", 1, 2, later, "a.test")));
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log_default")).isOne();

            addDays(ds, 0, 10);

            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log_default")).isZero();
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM " + partition(LocalDate.ofInstant(later, ZoneOffset.UTC))))
                    .isOne();
        }
    }

    @Test
    void partitionCreatedWhileRowsOfItsDayArrive_losesNoRow() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            java.time.Instant first = java.time.Instant.now().plus(Duration.ofDays(10));
            int batches = 400;
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < batches; i++) {
                    java.time.Instant at = first.plus(Duration.ofDays(i / 20));
                    sink.write(List.of(AccountingTest.session("alice", 1, 1, at, "a.test"),
                            AccountingTest.session(null, 1, 1, at.plusMillis(i), "b.test")));
                }
            });
            // Create each day's partition while the writer routes rows of that day (20 batches per day).
            for (int d = 10; d < 30 && !writer.isDone(); d++) {
                addDays(ds, -d, d);
            }
            writer.get();
            addDays(ds, -10, 30);
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(2L * batches);
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log_default")).isZero();
        }
    }

    @Test
    void recentSessions_lookBeyondTheLastWeekOnlyWhenItHasTooFew() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            addDays(ds, 30, 0);
            AccountingSink sink = (AccountingSink) store.accounting();
            java.time.Instant now = java.time.Instant.now();
            sink.write(List.of(AccountingTest.session("erin", 1, 0, now.minus(Duration.ofDays(20)), "old1"),
                    AccountingTest.session("erin", 2, 0, now.minus(Duration.ofDays(19)), "old2"),
                    AccountingTest.session("erin", 3, 0, now.minus(Duration.ofDays(18)), "old3"),
                    AccountingTest.session("erin", 4, 0, now.minus(Duration.ofDays(2)), "new1"),
                    AccountingTest.session("erin", 5, 0, now.minus(Duration.ofHours(1)), "new2")));

            assertThat(join(store.recentSessions("erin", 2))).extracting(JdbcStore.SessionRecord::targetHost)
                    .containsExactly("new2", "new1");
            assertThat(join(store.recentSessions("erin", 4))).extracting(JdbcStore.SessionRecord::targetHost)
                    .containsExactly("new2", "new1", "old3", "old2");
        }
    }

    @Test
    void retention_notAWholeNumberOfDays_isRefused() throws Exception {
        DataSource ds = TestDatabase.fresh();
        assertThatThrownBy(() -> JdbcStore.builder(ds).retention(Duration.ofHours(36)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retention: PT36H (expected: a whole number of days, >= 1)");
        try (JdbcStore store = JdbcStore.create(ds)) {
            assertThatThrownBy(() -> join(store.prune(Duration.ZERO)))
                    .hasRootCauseInstanceOf(IllegalArgumentException.class)
                    .hasRootCauseMessage("olderThan: PT0S (expected: a whole number of days, >= 1)");
        }
    }
}

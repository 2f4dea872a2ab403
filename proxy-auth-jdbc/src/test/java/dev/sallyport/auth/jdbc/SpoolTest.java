package dev.sallyport.auth.jdbc;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.testkit.AllowLoggedExceptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Records that cannot be written at close go to a spool file, written exactly once on the next start. */
@Timeout(180)
class SpoolTest {

    private static final int OUTAGE_RECORDS = 700;

    @TempDir
    Path dir;
    private TestDatabase.Private pg;
    private PGSimpleDataSource ds;

    @BeforeEach
    void start() throws Exception {
        pg = new TestDatabase.Private();
        ds = pg.dataSource();
    }

    @AfterEach
    void stop() throws Exception {
        pg.close();
    }

    private JdbcStore.Builder store(Path spool) {
        return JdbcStore.builder(ds).flushInterval(Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200))
                .closeTimeout(Duration.ofMillis(300)).batchSize(100).bufferSize(1000).spoolDirectory(spool);
    }

    private List<Path> files(Path directory) throws Exception {
        try (Stream<Path> list = Files.list(directory)) {
            return list.sorted().toList();
        }
    }

    private void assertEveryRecordOnce() {
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log")).isEqualTo(10 + OUTAGE_RECORDS);
        assertThat(TestDatabase.query(ds, "SELECT user_name, sum(bytes_up)::bigint, sum(bytes_down)::bigint, "
                + "sum(sessions)::bigint FROM sallyport_usage_hourly GROUP BY 1 ORDER BY 1")).containsExactly(
                List.of("alice", 10L * 2, 10L * 4, 10L),
                List.of("bob", OUTAGE_RECORDS * 3L, OUTAGE_RECORDS * 5L, (long) OUTAGE_RECORDS));
    }

    @Test
    void closeWhileTheFlusherWaitsForAConnection_stillSpoolsEveryRecord_andTheNextStartWritesThemOnce() throws Exception {
        SwitchableDataSource hanging = new SwitchableDataSource(ds);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        JdbcStore first = JdbcStore.builder(hanging).flushInterval(Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200))
                .closeTimeout(Duration.ofMillis(300)).batchSize(100).bufferSize(1000).spoolDirectory(dir).build();
        try {
            MetricsSink sink = first.accounting();
            hanging.hangUntil(release);
            for (int i = 0; i < 50; i++) {
                sink.sessionClosed(AccountingTest.session("bob", 3, 5, Instant.now(), "b.test"));
            }
            first.close();

            assertThat(first.droppedRecords()).isZero();
            assertThat(files(dir)).singleElement();
        } finally {
            release.countDown();
        }
        try (JdbcStore second = store(dir).build()) {
            second.accounting();
            await().atMost(Duration.ofSeconds(30)).until(() -> files(dir).isEmpty());
        }
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log WHERE user_name = 'bob'")).isEqualTo(50);
        assertThat(TestDatabase.count(ds, "SELECT sum(bytes_up) FROM sallyport_usage_hourly WHERE user_name = 'bob'"))
                .isEqualTo(150);
    }

    @Test
    // PostgreSQL is stopped on purpose.
    @AllowLoggedExceptions(IllegalStateException.class)
    void closeDuringOutage_spoolsPrivately_nextStartWritesEveryRecordExactlyOnce() throws Exception {
        JdbcStore first = store(dir).build();
        MetricsSink sink = first.accounting();
        for (int i = 0; i < 10; i++) {
            sink.sessionClosed(AccountingTest.session("alice", 2, 4, Instant.now(), "a.test"));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> first.writtenRecords() == 10);
        pg.stop();
        for (int i = 0; i < OUTAGE_RECORDS; i++) {
            sink.sessionClosed(AccountingTest.session("bob", 3, 5, Instant.now(), "b.test"));
        }
        first.close();

        assertThat(first.droppedRecords()).isZero();
        List<Path> spooled = files(dir);
        assertThat(spooled).singleElement().satisfies(file -> {
            assertThat(file.getFileName().toString()).isEqualTo("accounting-" + ((AccountingSink) sink).instanceId() + ".spool");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        });
        Path copy = Files.copy(spooled.get(0), dir.resolveSibling("spool-copy"), StandardCopyOption.REPLACE_EXISTING);

        pg.restart();
        try (JdbcStore second = store(dir).build()) {
            second.accounting();
            await().atMost(Duration.ofSeconds(30)).until(() -> files(dir).isEmpty());
        }
        assertEveryRecordOnce();

        // The same spool again, as after a replay that committed but could not delete its file: nothing twice.
        Files.move(copy, spooled.get(0));
        try (JdbcStore third = store(dir).build()) {
            third.accounting();
            await().atMost(Duration.ofSeconds(30)).until(() -> files(dir).isEmpty());
        }
        assertEveryRecordOnce();
    }

    @Test
    void corruptSpool_isSetAsideAndReported_nothingOfItApplied() throws Exception {
        JdbcStore writer = store(dir).build();
        pg.stop();
        for (int i = 0; i < 20; i++) {
            writer.accounting().sessionClosed(AccountingTest.session("carl", 1, 1, Instant.now(), "c.test"));
        }
        writer.close();
        Path file = files(dir).get(0);
        byte[] bytes = Files.readAllBytes(file);
        // Cut in the middle: a partial file must not apply its first records.
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        pg.restart();
        try (JdbcStore next = store(dir).build()) {
            next.accounting();
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve(file.getFileName() + ".corrupt")));
            next.accounting().sessionClosed(AccountingTest.session("dora", 1, 1, Instant.now(), "d.test"));
            await().atMost(Duration.ofSeconds(30)).until(() -> next.writtenRecords() == 1);
        }
        assertThat(files(dir)).extracting(p -> p.getFileName().toString()).containsExactly(file.getFileName() + ".corrupt");
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_access_log WHERE user_name = 'carl'")).isZero();
    }

    @Test
    void unwritableSpool_closeThrowsNamingTheLoss() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        JdbcStore store = store(notADirectory.resolve("spool")).build();
        pg.stop();
        for (int i = 0; i < 5; i++) {
            store.accounting().sessionClosed(AccountingTest.session("erin", 1, 1, Instant.now(), "e.test"));
        }
        assertThatThrownBy(store::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot write the accounting spool").hasMessageContaining("5 record(s) lost");
        assertThat(store.droppedRecords()).isEqualTo(5);
    }
}

package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(120)
class SchemaTest {

    @Test
    void migrate_emptyDatabase_createsTablesIndexesAndRecordsVersion() {
        DataSource ds = TestDatabase.fresh();
        assertThat(Schema.migrate(Jdbi.create(ds))).isEqualTo(Schema.MIGRATIONS.size());

        // The access log's partitions (migration 4) are listed apart.
        assertThat(TestDatabase.query(ds, "SELECT tablename FROM pg_tables t JOIN pg_class c ON c.oid = "
                + "(quote_ident(t.schemaname) || '.' || quote_ident(t.tablename))::regclass "
                + "WHERE tablename LIKE 'sallyport_%' AND NOT c.relispartition ORDER BY 1"))
                .extracting(row -> row.get(0))
                .containsExactly("sallyport_access_log", "sallyport_leases", "sallyport_schema_history",
                        "sallyport_session_rate", "sallyport_usage_hourly", "sallyport_usage_progress", "sallyport_users");
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        assertThat(TestDatabase.query(ds, "SELECT relid::text FROM pg_partition_tree('sallyport_access_log') WHERE isleaf"))
                .extracting(row -> row.get(0))
                .containsExactlyInAnyOrder("sallyport_access_log_default",
                        "sallyport_access_log_" + today.minusDays(1).format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE),
                        "sallyport_access_log_" + today.format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE),
                        "sallyport_access_log_" + today.plusDays(1).format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE),
                        "sallyport_access_log_" + today.plusDays(2).format(java.time.format.DateTimeFormatter.BASIC_ISO_DATE));
        assertThat(TestDatabase.query(ds, "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'sallyport_%'"))
                .extracting(row -> row.get(0))
                .contains("sallyport_access_log_user_time", "sallyport_access_log_time", "sallyport_usage_hourly_hour",
                        "sallyport_users_token_hash_key", "sallyport_leases_user", "sallyport_leases_expiry");
        assertThat(TestDatabase.count(ds, "SELECT max(version) FROM sallyport_schema_history")).isEqualTo(Schema.latest());
    }

    @Test
    void migrate_twice_isANoOpTheSecondTime() {
        DataSource ds = TestDatabase.fresh();
        Jdbi jdbi = Jdbi.create(ds);
        Schema.migrate(jdbi);
        assertThat(Schema.migrate(jdbi)).isZero();
        assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_schema_history"))
                .isEqualTo(Schema.MIGRATIONS.size());
    }

    @Test
    void migrate_fourInstancesAtOnceOnAnEmptyDatabase_appliesEachMigrationExactlyOnce() throws Exception {
        DataSource ds = TestDatabase.fresh();
        int instances = 4;
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<JdbcStore>> started = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                Callable<JdbcStore> start = () -> {
                    go.await();
                    return JdbcStore.create(ds);
                };
                started.add(pool.submit(start));
            }
            go.countDown();
            List<JdbcStore> stores = new ArrayList<>();
            for (Future<JdbcStore> future : started) {
                stores.add(future.get(60, TimeUnit.SECONDS));
            }
            assertThat(TestDatabase.count(ds, "SELECT count(*) FROM sallyport_schema_history"))
                    .isEqualTo(Schema.MIGRATIONS.size());
            // Every instance works against the one schema.
            stores.get(0).create("alice", dev.sallyport.api.Limits.NONE).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(stores.get(instances - 1).find("alice").toCompletableFuture().get(30, TimeUnit.SECONDS)).isPresent();
            stores.forEach(JdbcStore::close);
        } finally {
            pool.shutdownNow();
        }
    }
}

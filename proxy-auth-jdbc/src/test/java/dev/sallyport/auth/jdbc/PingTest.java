package dev.sallyport.auth.jdbc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link JdbcStore#ping()}: the readiness signal of the standalone server's /health/ready. */
@Timeout(120)
class PingTest {

    @Test
    void ping_whileTheDatabaseAnswers_isTrue_andFalseOnceItStopped_andTrueAgainAfterRestart() throws Exception {
        try (TestDatabase.Private pg = new TestDatabase.Private()) {
            PGSimpleDataSource ds = pg.dataSource();
            try (JdbcStore store = JdbcStore.create(ds)) {
                assertThat(store.ping().toCompletableFuture().get(30, TimeUnit.SECONDS)).isTrue();

                pg.stop();
                assertThat(store.ping().toCompletableFuture().get(30, TimeUnit.SECONDS)).isFalse();

                pg.restart();
                assertThat(store.ping().toCompletableFuture().get(30, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    void ping_onAClosedStore_isFalse() throws Exception {
        JdbcStore store = JdbcStore.create(TestDatabase.fresh());
        store.close();

        assertThat(store.ping().toCompletableFuture().get(30, TimeUnit.SECONDS)).isFalse();
    }
}

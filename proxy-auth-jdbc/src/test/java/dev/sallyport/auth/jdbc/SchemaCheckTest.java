package dev.sallyport.auth.jdbc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

/** A store that does not migrate checks that the schema is current, and says what to run when it is not. */
@Timeout(60)
class SchemaCheckTest {

    @Test
    void olderSchema_withoutMigration_failsNamingTheMigrateCommand() throws Exception {
        DataSource ds = TestDatabase.fresh();
        JdbcStore.create(ds).close();
        PooledStoreTest.execute(ds, "DELETE FROM sallyport_schema_history WHERE version = " + Schema.latest());

        assertThatThrownBy(() -> JdbcStore.builder(ds).migrate(false).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc: schema at version " + (Schema.latest() - 1) + ", this build needs " + Schema.latest()
                        + " (expected: migrate it first as the schema's owner, 'bin/sallyport migrate' or a JdbcStore "
                        + "built with migrate(true))");
    }

    @Test
    void currentSchema_withoutMigration_builds() {
        DataSource ds = TestDatabase.fresh();
        JdbcStore.create(ds).close();
        assertThatCode(() -> JdbcStore.builder(ds).migrate(false).build().close()).doesNotThrowAnyException();
    }

    @Test
    void emptyDatabase_withoutMigration_failsNamingTheMigrateCommand() {
        DataSource ds = TestDatabase.fresh();
        assertThatThrownBy(() -> JdbcStore.builder(ds).migrate(false).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("jdbc: schema missing: no sallyport_schema_history table")
                .hasMessageContaining("'bin/sallyport migrate'");
    }
}

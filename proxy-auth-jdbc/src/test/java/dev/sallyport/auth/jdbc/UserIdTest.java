package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Limits;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;

/** Users have stable ids: a name deleted and created again starts a fresh usage history. */
@Timeout(120)
class UserIdTest {

    @Test
    void nameDeletedAndCreatedAgain_startsFreshHistory_oldUsageKeptAsRemoved() throws Exception {
        DataSource ds = TestDatabase.fresh();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            join(store.create("alice", Limits.NONE));
            sink.write(List.of(AccountingTest.session("alice", 100, 1000, Instant.now(), "old.test")));
            join(store.delete("alice"));
            join(store.create("alice", Limits.NONE));
            sink.write(List.of(AccountingTest.session("alice", 7, 70, Instant.now().plusMillis(500), "new.test")));

            Instant since = Instant.now().minus(Duration.ofHours(2));
            Instant until = Instant.now().plus(Duration.ofHours(2));
            assertThat(join(store.hourlyUsage("alice", since, until))).singleElement()
                    .satisfies(h -> assertThat(List.of(h.bytesUp(), h.bytesDown(), h.sessions())).containsExactly(7L, 70L, 1L));
            assertThat(join(store.usage(since, until))).extracting(JdbcStore.Usage::user, JdbcStore.Usage::bytesUp)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", 7L),
                            org.assertj.core.groups.Tuple.tuple("alice (removed)", 100L));
            assertThat(join(store.recentSessions("alice", 10))).extracting(JdbcStore.SessionRecord::targetHost)
                    .containsExactly("new.test");
        }
    }

    @Test
    void migrationFive_numbersExistingUsers_andGivesTheirUsageTheirId() {
        DataSource ds = TestDatabase.fresh();
        Jdbi jdbi = Jdbi.create(ds);
        TestDatabase.migrateTo(ds, 3);
        jdbi.useHandle(h -> {
            h.execute("INSERT INTO sallyport_users (name, password_hash, token_hash) VALUES ('bea', 'x', 'y')");
            h.execute("INSERT INTO sallyport_usage_hourly (user_name, hour, bytes_up, bytes_down, sessions) VALUES "
                    + "('bea', ?, 5, 6, 1), ('gone', ?, 8, 9, 1)", Instant.now().truncatedTo(ChronoUnit.HOURS),
                    Instant.now().truncatedTo(ChronoUnit.HOURS));
        });
        Schema.migrate(jdbi);
        assertThat(TestDatabase.query(ds, "SELECT h.user_name, h.user_id = u.id FROM sallyport_usage_hourly h "
                + "LEFT JOIN sallyport_users u ON u.name = h.user_name ORDER BY 1"))
                .containsExactly(List.of("bea", true), java.util.Arrays.asList("gone", null));
    }
}

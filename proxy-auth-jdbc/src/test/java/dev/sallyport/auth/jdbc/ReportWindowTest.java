package dev.sallyport.auth.jdbc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code stats --user --since}: a user's latest sessions honour the window like the usage does. */
@Timeout(60)
class ReportWindowTest {

    @Test
    void recentSessions_inAWindow_leavesOutSessionsBeforeAndAfterIt() throws Exception {
        DataSource ds = TestDatabase.fresh();
        Instant now = Instant.now();
        try (JdbcStore store = JdbcStore.create(ds)) {
            AccountingSink sink = (AccountingSink) store.accounting();
            sink.write(List.of(AccountingTest.session("ivy", 1, 1, now.minus(Duration.ofHours(30)), "old.test"),
                    AccountingTest.session("ivy", 1, 1, now.minus(Duration.ofMinutes(10)), "recent.test"),
                    AccountingTest.session("ivy", 1, 1, now.plus(Duration.ofHours(3)), "later.test")));

            assertThat(join(store.recentSessions("ivy", now.minus(Duration.ofHours(24)), now.plus(Duration.ofHours(1)), 10)))
                    .extracting(JdbcStore.SessionRecord::targetHost).containsExactly("recent.test");
            assertThat(join(store.recentSessions("ivy", 10))).extracting(JdbcStore.SessionRecord::targetHost)
                    .containsExactly("later.test", "recent.test", "old.test");
        }
    }
}

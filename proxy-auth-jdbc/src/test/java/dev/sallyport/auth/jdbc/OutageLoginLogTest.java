package dev.sallyport.auth.jdbc;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.internal.LoggedEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.event.Level;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logins during a database outage fail closed without a stack trace at WARN per login (the
 * store logs the outage once; core logs the failing backend once when it starts failing, its
 * stack trace at DEBUG). No {@code @AllowLoggedExceptions} here: a WARN with an exception fails.
 */
@Timeout(120)
class OutageLoginLogTest {

    @Test
    void coldLoginsDuringAnOutage_failClosed_withoutAStackTraceAtWarnPerLogin() throws Exception {
        PGSimpleDataSource target = (PGSimpleDataSource) TestDatabase.fresh();
        JdbcStore.create(target).close();
        List<String> tokens = PooledStoreTest.users(target, 20);
        SwitchableDataSource ds = new SwitchableDataSource(target);
        try (JdbcStore store = JdbcStore.builder(ds).migrate(false).build();
             ProxyManager proxy = ProxyManager.builder().socks5(0).auth(store).start()) {
            LoggedEvents.drain();
            ds.reachable(false);
            for (int i = 0; i < tokens.size(); i++) {
                try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                    assertThat(client.login("user" + i, tokens.get(i))).as("login status").isEqualTo(1);
                }
            }
            assertThat(LoggedEvents.drain()).noneMatch(e -> e.level() == Level.WARN || e.level() == Level.ERROR);
            ds.reachable(true);
            try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
                assertThat(client.login("user0", tokens.get(0))).as("login status once it answers").isZero();
            }
        }
    }
}

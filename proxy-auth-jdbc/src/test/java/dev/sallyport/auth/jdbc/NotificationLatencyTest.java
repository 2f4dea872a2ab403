package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Twenty rounds of "an operator's SQL disables a user; the other instance closes their tunnel".
 * Each round must close the tunnel with {@link Outcome#REVOKED}; the time from the commit to the
 * client seeing the close is printed (p50, max), never asserted: timing is measured, not tested.
 */
@Timeout(180)
class NotificationLatencyTest {

    private static final int ROUNDS = 20;

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    @Test
    void disableBySql_closesTheTunnelOnTheOtherInstance_everyRound() throws Exception {
        DataSource ds = TestDatabase.fresh();
        List<Long> micros = new ArrayList<>();
        try (Fleet.Instance a = Fleet.Instance.start(ds); Fleet.Instance b = Fleet.Instance.start(ds)) {
            Fleet.awaitListening(ds, 2);
            for (int round = 0; round < ROUNDS; round++) {
                String name = "user-" + round;
                NewCredentials user = join(a.store().create(name, Limits.NONE));
                try (Socks5Client tunnel = b.tunnel(name, user.password(), echo.address())) {
                    Fleet.sql(ds, "UPDATE sallyport_users SET enabled = false WHERE name = '" + name + "'");
                    long committed = System.nanoTime();
                    Fleet.awaitClosed(tunnel);
                    micros.add((System.nanoTime() - committed) / 1000);
                }
                assertThat(b.sessions().takeSession(Duration.ofSeconds(10)).outcome()).isEqualTo(Outcome.REVOKED);
            }
        }
        Collections.sort(micros);
        System.out.printf("notification latency, SQL commit to tunnel closed on the other instance, %d rounds: "
                + "p50 %.1f ms, max %.1f ms%n", ROUNDS, micros.get(ROUNDS / 2) / 1000.0, micros.get(ROUNDS - 1) / 1000.0);
        assertThat(micros).hasSize(ROUNDS);
    }
}

package dev.sallyport.auth.jdbc;

import dev.sallyport.api.LiveSession;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;

import static dev.sallyport.auth.jdbc.Fleet.awaitClosed;
import static dev.sallyport.auth.jdbc.Fleet.echo;
import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Two proxy instances on one database: a change of a user made anywhere (the other instance,
 * a separate store as the command line uses, plain SQL) reaches instance B through
 * {@code LISTEN/NOTIFY}, closes or re-shapes its open sessions and refuses its cached logins;
 * a lost notification connection is re-opened and what was missed is re-checked.
 */
@Timeout(120)
class UserChangeNotificationTest {

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    private DataSource ds;
    private Fleet.Instance a;
    private Fleet.Instance b;

    @BeforeEach
    void start() {
        ds = TestDatabase.fresh();
        a = Fleet.Instance.start(ds);
        b = Fleet.Instance.start(ds);
        Fleet.awaitListening(ds, 2);
    }

    @AfterEach
    void stop() {
        b.close();
        a.close();
    }

    /** Where a change comes from. */
    enum Source {
        OTHER_INSTANCE, SEPARATE_STORE, SQL
    }

    private void disable(Source source, String user) throws Exception {
        switch (source) {
            case OTHER_INSTANCE -> join(a.proxy().users().enable(user, false));
            case SEPARATE_STORE -> {
                // What `sallyport users disable` does: a store of its own, without listeners.
                try (JdbcStore cli = JdbcStore.create(ds)) {
                    join(cli.enable(user, false));
                }
            }
            case SQL -> Fleet.sql(ds, "UPDATE sallyport_users SET enabled = false WHERE name = '" + user + "'");
        }
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void disable_fromAnywhere_closesTheOpenTunnelOnTheOtherInstance_andRefusesItsCachedLogin(Source source)
            throws Exception {
        NewCredentials carol = join(a.proxy().users().create("carol", Limits.NONE));
        try (Socks5Client tunnel = b.tunnel("carol", carol.password(), echo.address())) {
            disable(source, "carol");

            awaitClosed(tunnel);
        }
        SessionSummary closed = b.sessions().takeSession(Duration.ofSeconds(10));
        assertThat(closed.outcome()).isEqualTo(Outcome.REVOKED);
        assertThat(closed.rule()).isEqualTo("user disabled");
        // The login B had cached is gone: the password is checked again, and refused.
        assertThat(b.login("carol", carol.password())).isNotZero();
    }

    @Test
    void deleteBySql_closesTheOpenTunnelOnTheOtherInstance() throws Exception {
        NewCredentials dan = join(a.proxy().users().create("dan", Limits.NONE));
        try (Socks5Client tunnel = b.tunnel("dan", dan.token(), echo.address())) {
            Fleet.sql(ds, "DELETE FROM sallyport_users WHERE name = 'dan'");

            awaitClosed(tunnel);
        }
        assertThat(b.sessions().takeSession(Duration.ofSeconds(10)).rule()).isEqualTo("user deleted");
        assertThat(b.login("dan", dan.token())).isNotZero();
    }

    @Test
    void deleteAndCreateAgainBySql_inOneTransaction_closesTheEarlierUsersTunnel() throws Exception {
        NewCredentials lena = join(a.proxy().users().create("lena", Limits.NONE));
        try (Socks5Client tunnel = b.tunnel("lena", lena.password(), echo.address())) {
            Fleet.sql(ds, "DELETE FROM sallyport_users WHERE name = 'lena'", """
                    INSERT INTO sallyport_users (name, password_hash, token_hash)
                    VALUES ('lena', 'another', md5(random()::text))""");

            awaitClosed(tunnel);
        }
        assertThat(b.sessions().takeSession(Duration.ofSeconds(10)).rule()).isEqualTo("credentials rotated");
    }

    @Test
    void createBySql_afterARefusedLogin_logsInOnTheOtherInstance() throws Exception {
        assertThat(b.login("erin", "secret")).as("unknown user").isNotZero();
        join(a.store().create("erin-template", "secret", Limits.NONE));
        // An operator's tooling copies a row: B's cached refusal of the unknown name must go.
        Fleet.sql(ds, """
                INSERT INTO sallyport_users (name, password_hash, token_hash)
                SELECT 'erin', password_hash, token_hash || '-erin' FROM sallyport_users WHERE name = 'erin-template'""");

        await().atMost(Duration.ofSeconds(10)).until(() -> b.login("erin", "secret") == 0);
    }

    @Test
    void rotate_closesTheSessionsOfTheOldCredentials_keepsThoseOfTheNewOnes() throws Exception {
        NewCredentials old = join(a.proxy().users().create("frank", Limits.NONE));
        Socks5Client oldOnB = b.tunnel("frank", old.password(), echo.address());
        Socks5Client oldTokenOnA = a.tunnel("frank", old.token(), echo.address());

        NewCredentials rotated = join(a.proxy().users().rotate("frank"));
        // Opened at once: possibly before B heard of the rotation, certainly with the new secrets.
        try (Socks5Client newOnB = b.tunnel("frank", rotated.password(), echo.address());
             Socks5Client newOnA = a.tunnel("frank", rotated.token(), echo.address())) {
            awaitClosed(oldOnB);
            awaitClosed(oldTokenOnA);
            // A heard of it twice (its own store, then the notification); B once. Another change
            // notified after it is a barrier: once it is applied, the rotation was applied everywhere.
            barrier();
            // The same notice once more, as a late duplicate would come: the new sessions stay.
            long version = TestDatabase.count(ds, "SELECT credential_version FROM sallyport_users WHERE name = 'frank'");
            Fleet.sql(ds, "SELECT pg_notify('sallyport_users', 'C " + version + " frank')");
            barrier();

            echo(newOnB, new byte[] {4, 5, 6});
            echo(newOnA, new byte[] {7, 8, 9});
            assertThat(b.proxy().sessions()).extracting(LiveSession::user).containsExactly("frank");
        } finally {
            oldOnB.close();
            oldTokenOnA.close();
        }
        assertThat(b.login("frank", old.password())).as("old password").isNotZero();
        assertThat(b.login("frank", rotated.password())).as("new password").isZero();
    }

    @Test
    void rotateBySql_closesTheSessionsOfTheOldCredentials() throws Exception {
        NewCredentials gina = join(a.proxy().users().create("gina", Limits.NONE));
        try (Socks5Client tunnel = b.tunnel("gina", gina.password(), echo.address())) {
            Fleet.sql(ds, "UPDATE sallyport_users SET token_hash = md5(random()::text) WHERE name = 'gina'");

            awaitClosed(tunnel);
        }
        assertThat(b.sessions().takeSession(Duration.ofSeconds(10)).rule()).isEqualTo("credentials rotated");
    }

    @Test
    void limitChangeBySql_reshapesTheOpenTunnelOnTheOtherInstance() throws Exception {
        NewCredentials hugo = join(a.proxy().users().create("hugo", Limits.NONE));
        try (Socks5Client tunnel = b.tunnel("hugo", hugo.password(), echo.address())) {
            echo(tunnel, new byte[100_000]);
            long before = b.proxy().sessions().get(0).bytesDown();

            Fleet.sql(ds, "UPDATE sallyport_users SET download_bytes_per_second = 1000 WHERE name = 'hugo'");
            barrier();
            // Sent and read on threads of their own: neither side waits for the other.
            CompletableFuture.runAsync(() -> {
                try {
                    tunnel.out().write(new byte[200_000]);
                    tunnel.out().flush();
                } catch (IOException closedAtTheEnd) {
                    // The tunnel closes when the test ends.
                }
            });
            CompletableFuture.runAsync(() -> {
                try {
                    tunnel.in().readNBytes(200_000);
                } catch (IOException closedAtTheEnd) {
                    // Likewise.
                }
            });

            // At 1000 bytes/s the echo trickles back: far from all of it, however long one watches.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> b.proxy().sessions().get(0).bytesDown() - before < 100_000);
            assertThat(b.proxy().sessions()).singleElement().extracting(LiveSession::user).isEqualTo("hugo");
        }
    }

    @Test
    void lostNotificationConnection_reconnects_andRechecksCachedLoginsAndOpenSessions() throws Exception {
        NewCredentials ivy = join(a.proxy().users().create("ivy", Limits.NONE));
        NewCredentials jack = join(a.proxy().users().create("jack", Limits.NONE));
        NewCredentials kim = join(a.proxy().users().create("kim", Limits.NONE));
        assertThat(b.login("ivy", ivy.password())).as("cached login").isZero();
        Socks5Client jackOnB = b.tunnel("jack", jack.password(), echo.address());
        Socks5Client kimOnB = b.tunnel("kim", kim.password(), echo.address());

        // The changes commit after both listeners are gone (the terminate waits for that), and
        // before they are back (at least 100 ms later): no notification of them reaches anyone.
        Fleet.sql(ds,
                "UPDATE sallyport_users SET enabled = false WHERE name = 'ivy'",
                "UPDATE sallyport_users SET enabled = false WHERE name = 'jack'",
                "UPDATE sallyport_users SET password_hash = 'replaced' WHERE name = 'kim'",
                Fleet.terminateListeners());

        try {
            awaitClosed(jackOnB);
            awaitClosed(kimOnB);
        } finally {
            jackOnB.close();
            kimOnB.close();
        }
        Fleet.awaitListening(ds, 2);
        // Besides ivy's login without a request.
        assertThat(b.sessions().awaitSessions(3, Duration.ofSeconds(10))).filteredOn(s -> s.command() != null)
                .extracting(SessionSummary::user, SessionSummary::rule)
                .containsExactlyInAnyOrder(tuple("jack", "user disabled"), tuple("kim", "credentials rotated"));
        assertThat(b.login("ivy", ivy.password())).as("the cached login, checked again").isNotZero();
        assertThat(b.login("kim", kim.token())).as("kim's token still works").isZero();
    }

    /** Disables a user with an open tunnel on B by SQL and waits for the close: everything notified before is applied. */
    private void barrier() throws Exception {
        String name = "barrier-" + System.nanoTime();
        NewCredentials barrier = join(a.store().create(name, Limits.NONE));
        try (Socks5Client tunnel = b.tunnel(name, barrier.password(), echo.address())) {
            Fleet.sql(ds, "UPDATE sallyport_users SET enabled = false WHERE name = '" + name + "'");
            awaitClosed(tunnel);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> b.proxy().sessions().stream()
                .noneMatch(s -> name.equals(s.user())));
        b.sessions().clear();
    }
}

package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Limits;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.api.UserStore;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.core.Upstream;
import dev.sallyport.core.UpstreamGroup;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.sallyport.auth.jdbc.JdbcUserStoreTest.join;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Users in PostgreSQL routed by their attributes ({@code attr:upstream=eu}) through a real
 * in-process upstream Sallyport, and the route and upstream written to the access log.
 */
@Timeout(120)
class JdbcRoutingTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    private DataSource ds;
    private JdbcStore store;
    private SessionRecorder far;
    private SessionRecorder near;
    private ProxyManager upstream;
    private ProxyManager proxy;
    private String upstreamName;

    @BeforeEach
    void start() {
        ds = TestDatabase.fresh();
        store = JdbcStore.builder(ds).flushInterval(Duration.ofMillis(100)).build();
        far = new SessionRecorder();
        near = new SessionRecorder();
        upstream = ProxyManager.builder().socks5(0).metrics(far).start();
        int port = upstream.address("socks5").getPort();
        upstreamName = "eu/127.0.0.1:" + port;
        Routing routing = Routing.builder().group(UpstreamGroup.of("eu", Upstream.parse("socks5://127.0.0.1:" + port)))
                .route("attr:upstream=eu", "eu").build();
        // The auth cache stays on (its default TTL): a change must reach it by the user store's events.
        proxy = ProxyManager.builder().socks5(0).auth(store).metrics(store.accounting()).metrics(near)
                .routing(routing).start();
    }

    @AfterEach
    void stop() {
        proxy.close();
        upstream.close();
        store.close();
    }

    /** Logs in, tunnels a few bytes to the echo server and back, and returns the session's summary. */
    private SessionSummary tunnel(String user, String secret) throws Exception {
        byte[] data = TestBytes.random(10_000, 7);
        try (Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.login(user, secret)).as("login status").isZero();
            assertThat(client.connect("127.0.0.1", echo.port()).rep()).as("CONNECT reply").isZero();
            assertThat(client.exchange(data)).isEqualTo(data);
        }
        return near.takeSession(WAIT);
    }

    @Test
    void userWithUpstreamEu_goesThroughTheUpstream_userWithout_goesDirect_andTheAccessLogSaysWhich() throws Exception {
        join(store.create("alice", "pw-a", Limits.NONE));
        join(store.create("bob", "pw-b", Limits.NONE));
        join(store.attributes("alice", Map.of("upstream", "eu")));

        SessionSummary alice = tunnel("alice", "pw-a");
        SessionSummary bob = tunnel("bob", "pw-b");

        assertThat(alice.route()).isEqualTo("eu");
        assertThat(alice.upstream()).isEqualTo(upstreamName);
        assertThat(bob.route()).isEqualTo("direct");
        assertThat(bob.upstream()).isNull();
        // Only alice's session reached the target through the upstream.
        assertThat(far.awaitSessions(1, WAIT)).singleElement().satisfies(s -> {
            assertThat(s.targetPort()).isEqualTo(echo.port());
            assertThat(s.bytesUp()).isEqualTo(10_000);
        });

        assertThat(join(store.flush())).isTrue();
        assertThat(TestDatabase.query(ds, "SELECT user_name, route, upstream FROM sallyport_access_log ORDER BY user_name"))
                .containsExactly(List.of("alice", "eu", upstreamName), Arrays.asList("bob", null, null));
        assertThat(far.sessions()).hasSize(1);
    }

    @Test
    void attributeChangedAfterALogin_routesTheNextLogin_despiteTheCachedOne() throws Exception {
        join(store.create("alice", "pw-a", Limits.NONE));
        assertThat(tunnel("alice", "pw-a").route()).isEqualTo("direct");

        join(store.attributes("alice", Map.of("upstream", "eu")));
        assertThat(tunnel("alice", "pw-a").upstream()).isEqualTo(upstreamName);

        // Changed by someone else (plain SQL here): heard through the database's notification.
        CountDownLatch heard = new CountDownLatch(1);
        store.addListener(new UserStore.Listener() {
            @Override
            public void userChanged(String name) {
                if (name.equals("alice")) {
                    heard.countDown();
                }
            }
        });
        Jdbi.create(ds).useHandle(h -> h.execute("UPDATE sallyport_users SET attributes = attributes - 'upstream' "
                + "WHERE name = 'alice'"));
        // The proxy's listener was added first, so it has forgotten the cached login by now.
        assertThat(heard.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        SessionSummary after = tunnel("alice", "pw-a");
        assertThat(after.route()).isEqualTo("direct");
        assertThat(after.upstream()).isNull();
        assertThat(far.sessions()).hasSize(1);
    }
}

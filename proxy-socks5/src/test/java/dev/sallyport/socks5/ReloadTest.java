package dev.sallyport.socks5;

import dev.sallyport.api.Limits;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Routing;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ProxyManager#reload}: users, rules and limits of a new configuration apply to new
 * sessions at once; open tunnels run on unless the change revokes them; a configuration that
 * fails changes nothing; a listener change is reported, not applied.
 */
@Timeout(60)
class ReloadTest {

    private final TcpServer echo = TcpServer.echo();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        // Clients first: a manager closed with tunnels open waits out its drain timeout for them.
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        echo.close();
    }

    private ProxyManager.Builder config() {
        return ProxyManager.builder().socks5(0).loginBackoff(Duration.ZERO);
    }

    private ProxyManager started(ProxyManager.Builder builder) {
        ProxyManager proxy = builder.start();
        open.add(proxy);
        return proxy;
    }

    /** A tunnel to the echo server as {@code user}; null when login or connect failed. */
    private Socks5Client tunnel(ProxyManager proxy, String user, String password) throws IOException {
        Socks5Client client = Socks5Client.open(proxy.address("socks5"));
        open.add(client);
        if (client.login(user, password) != 0 || !client.connect(echo.address()).succeeded()) {
            return null;
        }
        return client;
    }

    private static boolean echoes(Socks5Client client) throws IOException {
        client.out().write("ping".getBytes(StandardCharsets.US_ASCII));
        client.out().flush();
        byte[] back = client.in().readNBytes(4);
        return new String(back, StandardCharsets.US_ASCII).equals("ping");
    }

    /** Whether the proxy closed the tunnel (EOF or reset) within the client's read timeout. */
    private static boolean closedByProxy(Socks5Client client) throws IOException {
        client.socket().setSoTimeout(20_000);
        try {
            return client.in().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    @Test
    void reload_addsAndRemovesUsers_newUserLogsIn_removedUsersTunnelCloses_othersRunOn() throws Exception {
        ProxyManager proxy = started(config().user("alice", "a-pw").user("bob", "b-pw"));
        Socks5Client alice = tunnel(proxy, "alice", "a-pw");
        Socks5Client bob = tunnel(proxy, "bob", "b-pw");
        assertThat(alice).isNotNull();
        assertThat(bob).isNotNull();

        List<String> restart = proxy.reload(config().user("alice", "a-pw").user("carol", "c-pw"));

        assertThat(restart).isEmpty();
        assertThat(closedByProxy(bob)).isTrue();
        assertThat(echoes(alice)).isTrue();
        assertThat(tunnel(proxy, "carol", "c-pw")).isNotNull();
        assertThat(tunnel(proxy, "bob", "b-pw")).isNull();
        assertThat(tunnel(proxy, "alice", "a-pw")).isNotNull();
    }

    @Test
    void reload_changedPassword_closesThatUsersTunnels_andOnlyTheNewPasswordLogsIn() throws Exception {
        ProxyManager proxy = started(config().user("alice", "old").user("bob", "b-pw"));
        Socks5Client alice = tunnel(proxy, "alice", "old");
        Socks5Client bob = tunnel(proxy, "bob", "b-pw");

        proxy.reload(config().user("alice", "new").user("bob", "b-pw"));

        assertThat(closedByProxy(alice)).isTrue();
        assertThat(echoes(bob)).isTrue();
        assertThat(tunnel(proxy, "alice", "old")).isNull();
        assertThat(tunnel(proxy, "alice", "new")).isNotNull();
    }

    @Test
    void reload_passwordGivenAsItsHash_logsIn_andTheSameHashAgainKeepsTheTunnel() throws Exception {
        String hash = PasswordHashes.hash("h-pw");
        ProxyManager proxy = started(config().userHash("hank", hash));
        Socks5Client hank = tunnel(proxy, "hank", "h-pw");
        assertThat(hank).isNotNull();

        proxy.reload(config().userHash("hank", hash).user("ivy", "i-pw"));

        assertThat(echoes(hank)).isTrue();
        assertThat(tunnel(proxy, "ivy", "i-pw")).isNotNull();
    }

    @Test
    void reload_newRules_applyToNewRequests_openTunnelsRunOn() throws Exception {
        ProxyManager proxy = started(config().user("alice", "a-pw"));
        Socks5Client before = tunnel(proxy, "alice", "a-pw");

        proxy.reload(config().user("alice", "a-pw").accessRule(AccessRules.denyPorts(Integer.toString(echo.port()))));

        assertThat(echoes(before)).isTrue();
        Socks5Client after = Socks5Client.open(proxy.address("socks5"));
        open.add(after);
        assertThat(after.login("alice", "a-pw")).isZero();
        assertThat(after.connect(echo.address()).succeeded()).isFalse();
    }

    @Test
    void reload_newRoutes_applyToNewRequests_openTunnelsRunOn() throws Exception {
        ProxyManager proxy = started(config().user("alice", "a-pw"));
        Socks5Client before = tunnel(proxy, "alice", "a-pw");

        proxy.reload(config().user("alice", "a-pw")
                .routing(Routing.builder().route("user:alice&port:" + echo.port(), "deny").build()));

        assertThat(echoes(before)).isTrue();
        Socks5Client after = Socks5Client.open(proxy.address("socks5"));
        open.add(after);
        assertThat(after.login("alice", "a-pw")).isZero();
        assertThat(after.connect(echo.address()).rep()).isEqualTo(0x02); // not allowed by ruleset

        proxy.reload(config().user("alice", "a-pw"));

        assertThat(tunnel(proxy, "alice", "a-pw")).isNotNull();
    }

    @Test
    void reload_newDefaultLimits_applyToNewSessions() throws Exception {
        ProxyManager proxy = started(config().user("alice", "a-pw"));
        Socks5Client first = tunnel(proxy, "alice", "a-pw");

        proxy.reload(config().user("alice", "a-pw").defaultLimits(new Limits(1, 0, 0, 0)));

        assertThat(echoes(first)).isTrue();
        assertThat(tunnel(proxy, "alice", "a-pw")).as("a second session over the new default of 1").isNull();
    }

    @Test
    void reload_thatFails_changesNothing(@TempDir Path dir) throws Exception {
        ProxyManager proxy = started(config().user("alice", "a-pw"));
        Path missing = Files.writeString(dir.resolve("cert.pem"), "not a certificate");
        Socks5Client alice = tunnel(proxy, "alice", "a-pw");

        assertThatThrownBy(() -> proxy.reload(config().user("bob", "b-pw").tls("socks5", missing, missing)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("tls: cannot load the key and certificates of listener 'socks5'");

        assertThat(echoes(alice)).isTrue();
        assertThat(tunnel(proxy, "bob", "b-pw")).isNull();
        assertThat(tunnel(proxy, "alice", "a-pw")).isNotNull();
    }

    @Test
    void reload_ioThreadsChanged_isReportedAsNeedingARestart() throws Exception {
        ProxyManager proxy = started(config().user("alice", "a-pw").ioThreads(1));

        List<String> restart = proxy.reload(config().user("alice", "a-pw").ioThreads(2));

        assertThat(restart).containsExactly("io-threads: 1 -> 2");
        assertThat(tunnel(proxy, "alice", "a-pw")).isNotNull();
    }

    @Test
    void reload_listenerPortOrBindChanged_isReportedAndNotApplied() throws Exception {
        ProxyManager proxy = started(config().user("alice", "a-pw"));
        int port = proxy.address("socks5").getPort();

        List<String> restart = proxy.reload(ProxyManager.builder().socks5(port + 1).http(0).bind("127.0.0.2")
                .user("alice", "a-pw"));

        assertThat(restart).containsExactly("bind: 127.0.0.1 -> 127.0.0.2", "socks5: port 0 -> " + (port + 1),
                "http: added on port 0");
        assertThat(proxy.address("socks5").getPort()).isEqualTo(port);
        assertThat(tunnel(proxy, "alice", "a-pw")).isNotNull();
    }

    @Test
    void reload_afterClose_fails() {
        ProxyManager proxy = config().user("alice", "a-pw").start();
        proxy.close();

        assertThatThrownBy(() -> proxy.reload(config().user("alice", "a-pw")))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("closed: ");
    }

    @Test
    void userHash_thatIsNoHash_isRefusedNamingTheUser() {
        assertThatThrownBy(() -> ProxyManager.builder().userHash("alice", "s3cret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("passwordHash: not a hash for user alice (expected: pbkdf2-sha256$ITERATIONS$SALT$HASH, "
                        + "as PasswordHashes.hash makes)");
    }
}

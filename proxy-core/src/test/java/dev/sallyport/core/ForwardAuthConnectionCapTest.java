package dev.sallyport.core;

import dev.sallyport.core.internal.forward.ForwardAuthServer;
import dev.sallyport.core.internal.net.ConnectionCap;
import dev.sallyport.core.testing.NullFrontend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forward-auth listener's per-client cap, on real sockets: 127.0.0.2 and 127.0.0.3 stand for
 * two clients. One client's connection past its cap is closed at accept; its open ones and
 * another client are still served.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwardAuthConnectionCapTest {

    private final ForwardAuthListenerTest.Outcomes outcomes = new ForwardAuthListenerTest.Outcomes();
    private final List<RawHttp> open = new ArrayList<>();
    private ProxyManager proxy;

    @AfterEach
    void close() throws IOException {
        for (RawHttp connection : open) {
            connection.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private RawHttp connect(InetSocketAddress address, String source) throws IOException {
        RawHttp connection = new RawHttp(address, InetAddress.getByName(source));
        open.add(connection);
        return connection;
    }

    private static int status(RawHttp connection) throws IOException {
        return connection.exchange(RawHttp.get("/auth")).status();
    }

    @Test
    void oneClientPastItsCap_isClosedAtAccept_itsOtherConnectionsAndOtherClientsAreServed() throws Exception {
        proxy = ProxyManager.builder().classLoader(NullFrontend.loader()).socks5(0).requireAuthentication(true)
                .metrics(outcomes).forwardAuth(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
        InetSocketAddress address = proxy.forwardAuthAddress();
        List<RawHttp> admitted = new ArrayList<>();
        for (int i = 0; i < ForwardAuthServer.MAX_CONNECTIONS_PER_CLIENT; i++) {
            RawHttp connection = connect(address, "127.0.0.2");
            assertThat(status(connection)).as("connection %d answered", i).isEqualTo(401);
            admitted.add(connection);
        }

        RawHttp extra = connect(address, "127.0.0.2");

        assertThat(extra.closedByServer()).as("closed at once, nothing read").isTrue();
        assertThat(outcomes.seen).containsOnlyOnce(ConnectionCap.MAX_CONNECTIONS_PER_CLIENT);
        for (RawHttp connection : admitted) {
            assertThat(status(connection)).as("still open").isEqualTo(401);
        }
        assertThat(status(connect(address, "127.0.0.3"))).as("another client").isEqualTo(401);
    }
}

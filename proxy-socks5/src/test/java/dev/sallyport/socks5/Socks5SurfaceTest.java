package dev.sallyport.socks5;

import dev.sallyport.core.AccessRules;
import dev.sallyport.core.ProxyManager;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a SOCKS5 client must not reach or hold: waiting BIND listeners beyond the cap, targets
 * hidden in IPv4-compatible IPv6 addresses sent in binary, and addresses the host protects.
 * Plain sockets speak the protocol byte by byte, so the exact reply code is seen.
 */
@Timeout(60)
class Socks5SurfaceTest {

    private static final int CONNECT = 1;
    private static final int BIND = 2;
    private static final int NOT_ALLOWED = 0x02;

    private ProxyManager proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close(Duration.ZERO);
        }
    }

    private InetSocketAddress start(Consumer<ProxyManager.Builder> config) {
        ProxyManager.Builder builder = ProxyManager.builder().socks5(0);
        config.accept(builder);
        proxy = builder.start();
        return proxy.address("socks5");
    }

    /** A client connection from {@code from}, greeted (and logged in as alice when {@code login}). */
    private static Socket client(InetSocketAddress proxy, InetAddress from, boolean login) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(proxy, 5000);
        socket.setSoTimeout(10_000);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        socket.getOutputStream().write(new byte[] {5, 1, (byte) (login ? 2 : 0)});
        byte[] method = new byte[2];
        in.readFully(method);
        assertThat(method).containsExactly(5, login ? 2 : 0);
        if (login) {
            socket.getOutputStream().write(new byte[] {1, 5, 'a', 'l', 'i', 'c', 'e', 2, 'p', 'w'});
            byte[] status = new byte[2];
            in.readFully(status);
            assertThat(status).containsExactly(1, 0);
        }
        return socket;
    }

    /** Sends a request for {@code target} (4 or 16 raw bytes) and returns REP. */
    private static int request(Socket socket, int command, byte[] target, int port) throws IOException {
        byte[] message = new byte[6 + target.length];
        message[0] = 5;
        message[1] = (byte) command;
        message[3] = (byte) (target.length == 4 ? 1 : 4);
        System.arraycopy(target, 0, message, 4, target.length);
        message[4 + target.length] = (byte) (port >> 8);
        message[5 + target.length] = (byte) port;
        socket.getOutputStream().write(message);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] head = new byte[4];
        in.readFully(head);
        in.readFully(new byte[(head[3] == 4 ? 16 : 4) + 2]);
        return head[1] & 0xff;
    }

    private static byte[] ipv4Compatible(InetAddress ipv4) {
        byte[] raw = new byte[16];
        System.arraycopy(ipv4.getAddress(), 0, raw, 12, 4);
        return raw;
    }

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void bind_overTheCapPerUser_refusedNotAllowed_untilAWaitingOneEnds() throws Exception {
        InetSocketAddress address = start(b -> b.user("alice", "pw").maxBindListeners(1));
        byte[] anyPeer = {0, 0, 0, 0};
        Socket first = client(address, loopback(1), true);
        assertThat(request(first, BIND, anyPeer, 0)).as("the first BIND listens").isZero();
        try (Socket second = client(address, loopback(2), true)) {
            assertThat(request(second, BIND, anyPeer, 0)).as("the same user, from another IP").isEqualTo(NOT_ALLOWED);
        }
        first.close();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket again = client(address, loopback(1), true)) {
                return request(again, BIND, anyPeer, 0) == 0;
            }
        });
    }

    @Test
    void bind_withoutLogins_isCappedPerClientIp() throws Exception {
        InetSocketAddress address = start(b -> b.maxBindListeners(1));
        byte[] anyPeer = {0, 0, 0, 0};
        try (Socket first = client(address, loopback(1), false);
             Socket sameIp = client(address, loopback(1), false);
             Socket otherIp = client(address, loopback(2), false)) {
            assertThat(request(first, BIND, anyPeer, 0)).isZero();
            assertThat(request(sameIp, BIND, anyPeer, 0)).isEqualTo(NOT_ALLOWED);
            assertThat(request(otherIp, BIND, anyPeer, 0)).isZero();
        }
    }

    @Test
    void connect_overTheTotalConnectionCap_refusedNotAllowed() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 4, loopback(1))) {
            InetSocketAddress address = start(b -> b.maxConnections(1));
            try (Socket first = client(address, loopback(1), false)) {
                assertThat(request(first, CONNECT, loopback(1).getAddress(), target.getLocalPort())).isZero();
                try (Socket second = client(address, loopback(2), false)) {
                    assertThat(request(second, CONNECT, loopback(1).getAddress(), target.getLocalPort()))
                            .isEqualTo(NOT_ALLOWED);
                }
            }
        }
    }

    @Test
    void connect_ipv4CompatibleLoopbackInBinary_isDeniedByDenyPrivate() throws Exception {
        try (ServerSocket service = new ServerSocket(0, 1, loopback(1))) {
            InetSocketAddress address = start(b -> b.accessRule(AccessRules.denyPrivateDestinations()));
            try (Socket client = client(address, loopback(1), false)) {
                assertThat(request(client, CONNECT, ipv4Compatible(loopback(1)), service.getLocalPort()))
                        .as("::7f00:1, ATYP 4").isEqualTo(NOT_ALLOWED);
            }
        }
    }

    @Test
    void connect_ipv4CompatibleFormOfTheProxysOwnListener_isDeniedAsALoop() throws Exception {
        InetSocketAddress address = start(b -> { });
        try (Socket client = client(address, loopback(1), false)) {
            assertThat(request(client, CONNECT, ipv4Compatible(address.getAddress()), address.getPort()))
                    .isEqualTo(NOT_ALLOWED);
        }
    }

    @Test
    void connect_toAProtectedAddress_refusedNotAllowed_otherPortsStillReachable() throws Exception {
        try (ServerSocket metrics = new ServerSocket(0, 1, loopback(1));
             ServerSocket other = new ServerSocket(0, 1, loopback(1))) {
            InetSocketAddress address = start(b -> b.protectedAddress(
                    new InetSocketAddress(loopback(1), metrics.getLocalPort())));
            try (Socket client = client(address, loopback(1), false)) {
                assertThat(request(client, CONNECT, loopback(1).getAddress(), metrics.getLocalPort())).isEqualTo(NOT_ALLOWED);
            }
            try (Socket client = client(address, loopback(1), false)) {
                assertThat(request(client, CONNECT, loopback(2).getAddress(), metrics.getLocalPort()))
                        .as("another loopback address, same port").isEqualTo(NOT_ALLOWED);
            }
            try (Socket client = client(address, loopback(1), false)) {
                assertThat(request(client, CONNECT, loopback(1).getAddress(), other.getLocalPort())).isZero();
                other.setSoTimeout(10_000);
                try (Socket accepted = other.accept()) {
                    accepted.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
                    assertThat(client.getInputStream().readNBytes(2)).isEqualTo("ok".getBytes(StandardCharsets.US_ASCII));
                }
            }
        }
    }

    @Test
    void connect_toAProtectedAddress_isRefusedEvenWhenAHostRuleAllowsLoopback() throws Exception {
        try (ServerSocket metrics = new ServerSocket(0, 1, loopback(1))) {
            InetSocketAddress address = start(b -> b.accessRule(AccessRules.allowDestinations("127.0.0.0/8"))
                    .protectedAddress(new InetSocketAddress(loopback(1), metrics.getLocalPort())));
            try (Socket client = client(address, loopback(1), false)) {
                assertThat(request(client, CONNECT, loopback(1).getAddress(), metrics.getLocalPort())).isEqualTo(NOT_ALLOWED);
            }
        }
    }
}

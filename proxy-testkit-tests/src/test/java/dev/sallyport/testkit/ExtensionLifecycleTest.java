package dev.sallyport.testkit;

import dev.sallyport.api.Outcome;
import dev.sallyport.core.ProxyManager;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How registering the extension chooses one proxy per class or one per test, and what each test starts with. */
@Timeout(60)
class ExtensionLifecycleTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final List<ProxyManager> SEEN = new CopyOnWriteArrayList<>();
    /** The SOCKS5 address of each manager in {@link #SEEN}, taken while it ran (a closed one has none). */
    private static final List<InetSocketAddress> SEEN_AT = new CopyOnWriteArrayList<>();
    private static final List<InetSocketAddress> SERVERS = new CopyOnWriteArrayList<>();

    @Test
    void staticField_oneProxyForTheClass_closedAfterIt_faultsAndSessionsClearedBetweenTests() throws Exception {
        SEEN.clear();
        SEEN_AT.clear();
        TestExecutionSummary summary = SampleRun.run(PerClass.class);

        assertThat(SampleRun.failures(summary)).isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(2);
        assertThat(SEEN).hasSize(2);
        assertThat(SEEN.get(1)).isSameAs(SEEN.get(0));
        assertPortFree(SEEN_AT.get(0));
    }

    @Test
    void instanceField_aNewProxyForEachTest_eachClosedAfterItsTest() throws Exception {
        SEEN.clear();
        SEEN_AT.clear();
        TestExecutionSummary summary = SampleRun.run(PerTest.class);

        assertThat(SampleRun.failures(summary)).isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(2);
        assertThat(SEEN).hasSize(2);
        assertThat(SEEN.get(1)).isNotSameAs(SEEN.get(0));
        for (InetSocketAddress address : SEEN_AT) {
            assertPortFree(address);
        }
    }

    @Test
    void restart_replacesTheProxyForTheTest_withTheChange_andTheNextTestGetsTheClassesOwnAgain() throws Exception {
        SEEN.clear();
        SEEN_AT.clear();
        TestExecutionSummary summary = SampleRun.run(Restarted.class);

        assertThat(SampleRun.failures(summary)).isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(2);
        assertThat(SEEN).hasSize(3).doesNotHaveDuplicates();
        for (InetSocketAddress address : SEEN_AT) {
            assertPortFree(address);
        }
        assertThatThrownBy(() -> SallyportExtension.socks5().build().restart(b -> { }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("SallyportExtension: not running");
    }

    @Test
    void servers_inAStaticField_closeAfterTheClass_inAnInstanceField_afterEachTest() throws Exception {
        SERVERS.clear();
        TestExecutionSummary summary = SampleRun.run(Servers.class);

        assertThat(SampleRun.failures(summary)).isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(2);
        assertThat(SERVERS).hasSize(6);
        assertThat(SERVERS.get(0)).as("one static server for both tests").isEqualTo(SERVERS.get(3));
        for (InetSocketAddress tcp : List.of(SERVERS.get(0), SERVERS.get(1), SERVERS.get(4))) {
            assertPortFree(tcp);
        }
        for (InetSocketAddress udp : List.of(SERVERS.get(2), SERVERS.get(5))) {
            try (DatagramSocket rebound = new DatagramSocket(udp)) {
                assertThat(rebound.getLocalSocketAddress()).isEqualTo(udp);
            }
        }
    }

    @Test
    void accessors_outsideATest_sayTheProxyIsNotRunning() {
        SallyportExtension unregistered = SallyportExtension.socks5().build();
        org.assertj.core.api.Assertions.assertThatThrownBy(unregistered::socks5Address)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("SallyportExtension: not running (expected: registered with @RegisterExtension and used inside a test)");
    }

    @Test
    void builder_withoutListener_refused_andBadValuesNamed() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SallyportExtension.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("listeners: none (expected: socks5(), http() or listener(name))");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SallyportExtension.socks5().socks5())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("listener: socks5 (expected: each listener once)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SallyportExtension.socks5().bandwidth(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bytesPerSecond: -1 (expected: >= 0, 0 for none)");
    }

    /** Records a running manager and its SOCKS5 address. */
    private static void seen(ProxyManager manager) {
        SEEN.add(manager);
        SEEN_AT.add(manager.address("socks5"));
    }

    /**
     * A listening socket can be opened on the port again: nothing listens there any more. (Not "a
     * connect is refused": on a busy host a connect to a just-freed ephemeral port can meet another
     * process's socket or connect to itself, which made that check fail now and then.)
     */
    private static void assertPortFree(InetSocketAddress address) throws IOException {
        try (ServerSocket rebound = new ServerSocket(address.getPort(), 1, address.getAddress())) {
            assertThat(rebound.getLocalPort()).isEqualTo(address.getPort());
        }
    }

    /** One tunnel through the proxy to an echo server and back; returns after the proxy saw it end. */
    private static void tunnel(SallyportExtension proxy) throws IOException {
        try (TcpServer echo = TcpServer.echo(); Socket socket = new Socket(proxy.socksProxy())) {
            socket.connect(echo.address(), 5000);
            socket.getOutputStream().write(1);
            assertThat(socket.getInputStream().read()).isEqualTo(1);
        }
        assertThat(proxy.awaitSessions(1, WAIT)).singleElement()
                .satisfies(s -> assertThat(s.outcome()).isEqualTo(Outcome.OK));
    }

    @EnabledIf("dev.sallyport.testkit.SampleRun#running")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class PerClass {
        @RegisterExtension
        static SallyportExtension proxy = SallyportExtension.socks5().build();

        @Test
        @Order(1)
        void first_leavesAFaultAndASession() throws IOException {
            seen(proxy.manager());
            tunnel(proxy);
            proxy.faults().refuse(Refusal.CONNECTION_REFUSED);
        }

        @Test
        @Order(2)
        void second_startsWithNeither() throws IOException {
            seen(proxy.manager());
            assertThat(proxy.sessions()).isEmpty();
            tunnel(proxy);
        }
    }

    @EnabledIf("dev.sallyport.testkit.SampleRun#running")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Restarted {
        @RegisterExtension
        static SallyportExtension proxy = SallyportExtension.socks5().build();

        @Test
        @Order(1)
        void first_restartsWithAUser_andOnlyTheNewProxyServes() throws IOException {
            ProxyManager original = proxy.manager();
            InetSocketAddress originalAt = original.address("socks5");
            proxy.faults().refuse(Refusal.CONNECTION_REFUSED);
            ProxyManager replaced = proxy.restart(b -> b.user("alice", "pw"));
            SEEN.add(original);
            SEEN_AT.add(originalAt);
            seen(replaced);
            assertThat(proxy.manager()).isSameAs(replaced);
            assertThat(original.isClosed()).isTrue();
            assertPortFree(originalAt);
            try (Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
                assertThat(client.greet(Socks5Client.NO_AUTHENTICATION)).isEqualTo(Socks5Client.NO_ACCEPTABLE_METHODS);
            }
            try (TcpServer echo = TcpServer.echo(); Socks5Client client = Socks5Client.open(proxy.socks5Address())) {
                assertThat(client.login("alice", "pw")).isZero();
                assertThat(client.connect(echo.address()).rep()).as("faults start empty").isZero();
            }
        }

        @Test
        @Order(2)
        void second_getsTheClassesOwnProxyAgain() throws IOException {
            seen(proxy.manager());
            tunnel(proxy);
        }
    }

    @EnabledIf("dev.sallyport.testkit.SampleRun#running")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Servers {
        @RegisterExtension
        static TcpServer shared = TcpServer.echo();

        @RegisterExtension
        TcpServer own = TcpServer.sink();

        @RegisterExtension
        UdpServer datagrams = UdpServer.sink();

        private void record() throws IOException {
            SERVERS.addAll(List.of(shared.address(), own.address(), datagrams.address()));
            int before = shared.connections().size();
            try (Socket socket = new Socket()) {
                socket.connect(shared.address(), 5000);
                assertThat(shared.awaitConnections(before + 1, WAIT)).hasSize(before + 1);
            }
        }

        @Test
        @Order(1)
        void first() throws IOException {
            record();
        }

        @Test
        @Order(2)
        void second_theFirstTestsOwnServersAreClosed_theSharedOneServes() throws IOException {
            assertPortFree(SERVERS.get(1));
            record();
        }
    }

    @EnabledIf("dev.sallyport.testkit.SampleRun#running")
    static class PerTest {
        @RegisterExtension
        SallyportExtension proxy = SallyportExtension.socks5().build();

        @Test
        void one() throws IOException {
            seen(proxy.manager());
            tunnel(proxy);
        }

        @Test
        void two() throws IOException {
            seen(proxy.manager());
            tunnel(proxy);
        }
    }
}

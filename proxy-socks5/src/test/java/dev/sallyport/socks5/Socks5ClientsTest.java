package dev.sallyport.socks5;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.NettyProxyClient;
import dev.sallyport.testkit.SallyportExtension;
import dev.sallyport.testkit.TcpServer;
import dev.sallyport.testkit.TestBytes;
import io.netty.handler.proxy.Socks5ProxyHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Real SOCKS5 clients (the JDK's and Netty's) tunnelling through the proxy to a loopback echo server. */
@Timeout(60)
class Socks5ClientsTest {

    private static final int MIB = 1 << 20;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Resolver RESOLVER = Resolver.fixed(Map.of("echo.test", List.of(InetAddress.getLoopbackAddress())));

    @RegisterExtension
    static TcpServer echo = TcpServer.echo();

    @RegisterExtension
    static NettyProxyClient netty = NettyProxyClient.create(2);

    @RegisterExtension
    SallyportExtension proxy = SallyportExtension.socks5().customize(b -> b.resolver(RESOLVER)).build();

    @AfterEach
    void forgetCredentials() {
        Authenticator.setDefault(null);
    }

    /** Writes {@code data} from another thread while reading the echo, so neither side blocks. */
    private static byte[] echoThrough(Socket socket, byte[] data) throws Exception {
        OutputStream out = socket.getOutputStream();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                out.write(data);
                out.flush();
                socket.shutdownOutput();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        ByteArrayOutputStream received = new ByteArrayOutputStream(data.length);
        InputStream in = socket.getInputStream();
        in.transferTo(received);
        writer.get(30, TimeUnit.SECONDS);
        return received.toByteArray();
    }

    @Test
    void jdkClient_noAuth_tunnelsOneMebibyteByteExact() throws Exception {
        byte[] data = TestBytes.random(MIB, 1);
        try (Socket socket = new Socket(proxy.socksProxy())) {
            socket.connect(InetSocketAddress.createUnresolved("echo.test", echo.port()), 5000);
            assertThat(echoThrough(socket, data)).isEqualTo(data);
        }
        SessionSummary summary = proxy.recorder().takeSession(WAIT);
        assertThat(summary.outcome()).isEqualTo(Outcome.OK);
        assertThat(summary.bytesUp()).isEqualTo(MIB);
        assertThat(summary.bytesDown()).isEqualTo(MIB);
        assertThat(summary.targetHost()).isEqualTo("echo.test");
        assertThat(summary.user()).isNull();
    }

    @Test
    void jdkClient_withPassword_tunnelsOneMebibyteByteExact() throws Exception {
        proxy.restart(b -> b.user("alice", "s3cret"));
        Authenticator.setDefault(new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication("alice", "s3cret".toCharArray());
            }
        });
        byte[] data = TestBytes.random(MIB, 2);
        try (Socket socket = new Socket(proxy.socksProxy())) {
            socket.connect(echo.address(), 5000);
            assertThat(echoThrough(socket, data)).isEqualTo(data);
        }
        SessionSummary summary = proxy.recorder().takeSession(WAIT);
        assertThat(summary.user()).isEqualTo("alice");
        assertThat(summary.bytesUp()).isEqualTo(MIB);
    }

    @Test
    void jdkClient_sixtyFourTunnelsInParallel_allByteExact() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(64);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                long seed = 100 + i;
                results.add(pool.submit(() -> {
                    byte[] data = TestBytes.random(64 * 1024 + (int) seed, seed);
                    try (Socket socket = new Socket(proxy.socksProxy())) {
                        socket.connect(echo.address(), 5000);
                        return java.util.Arrays.equals(echoThrough(socket, data), data);
                    }
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get(30, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void nettyClient_noAuth_tunnelsOneMebibyteByteExact() throws Exception {
        byte[] data = TestBytes.random(MIB, 3);
        assertThat(netty.echo(new Socks5ProxyHandler(proxy.socks5Address()),
                InetSocketAddress.createUnresolved("echo.test", echo.port()), data).get(30, TimeUnit.SECONDS))
                .isEqualTo(data);
    }

    @Test
    void nettyClient_withPassword_tunnelsOneMebibyteByteExact() throws Exception {
        proxy.restart(b -> b.user("bob", "pa55-w0rd"));
        byte[] data = TestBytes.random(MIB, 4);
        assertThat(netty.echo(new Socks5ProxyHandler(proxy.socks5Address(), "bob", "pa55-w0rd"), echo.address(), data)
                .get(30, TimeUnit.SECONDS)).isEqualTo(data);
    }

    @Test
    void nettyClient_sixtyFourTunnelsInParallel_allByteExact() throws Exception {
        proxy.restart(b -> b.user("bob", "pw"));
        List<CompletableFuture<byte[]>> results = new ArrayList<>();
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            byte[] data = TestBytes.random(32 * 1024 + i, 200 + i);
            sent.add(data);
            results.add(netty.echo(new Socks5ProxyHandler(proxy.socks5Address(), "bob", "pw"), echo.address(), data));
        }
        for (int i = 0; i < 64; i++) {
            assertThat(results.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(sent.get(i));
        }
    }
}

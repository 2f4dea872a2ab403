package dev.sallyport.core.internal.net;

import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.Transport;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The outbound dialer builds channels itself (no Bootstrap): the options a tunnel relies on must hold. */
@Timeout(30)
class OutboundDialerTest {

    private static final Transport TRANSPORT = Transport.choose(dev.sallyport.core.IoTransport.AUTO).transport();
    private static MultiThreadIoEventLoopGroup group;

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, TRANSPORT.ioHandlerFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void dial_connectsWithTheTunnelOptions() throws Exception {
        // A listening socket is all a dial needs: the kernel completes the handshake before accept.
        try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = (InetSocketAddress) target.getLocalSocketAddress();
            EventLoop loop = group.next();
            Future<Channel> dialed = new OutboundDialer(TRANSPORT, Duration.ofSeconds(5)).dial(address, loop);
            Channel channel = dialed.get(10, TimeUnit.SECONDS);
            try {
                assertThat(channel.isActive()).isTrue();
                assertThat(channel.eventLoop()).isSameAs(loop);
                assertThat(channel.remoteAddress()).isEqualTo(address);
                SocketChannel socket = (SocketChannel) channel;
                // Read from the socket itself: Netty switches TCP_NODELAY on when it creates the channel.
                assertThat(socket.config().isTcpNoDelay()).isTrue();
                assertThat(socket.config().isAllowHalfClosure()).isTrue();
                assertThat(socket.config().isAutoRead()).isFalse();
                assertThat(socket.config().getWriteBufferWaterMark()).isEqualTo(Engine.WATER_MARK);
            } finally {
                channel.close().syncUninterruptibly();
            }
        }
    }

    @Test
    void dial_refused_failsWithTheConnectError() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = (InetSocketAddress) probe.getLocalSocketAddress();
        }
        Future<Channel> dialed = new OutboundDialer(TRANSPORT, Duration.ofSeconds(5)).dial(closed, group.next());
        assertThat(dialed.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(dialed.isSuccess()).isFalse();
        assertThat(dialed.cause()).isInstanceOf(ConnectException.class);
    }
}

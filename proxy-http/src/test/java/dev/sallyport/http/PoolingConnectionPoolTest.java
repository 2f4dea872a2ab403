package dev.sallyport.http;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.core.ConnectionPools;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rules of {@link ConnectionPools#pooled} on embedded channels, with the event loop's clock
 * advanced by the test instead of waited for.
 */
@Timeout(30)
class PoolingConnectionPoolTest {

    private static final InetSocketAddress ORIGIN = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    private static final InetSocketAddress OTHER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8081);

    /** Hands out one embedded channel and counts the dials. */
    private static final class OneChannelDialer implements ConnectionPool.Dialer {
        final EmbeddedChannel channel = new EmbeddedChannel();
        final AtomicInteger dials = new AtomicInteger();

        @Override
        public Future<Channel> dial(InetSocketAddress address, EventLoop eventLoop) {
            dials.incrementAndGet();
            return eventLoop.newSucceededFuture(channel);
        }

        EventLoop loop() {
            return channel.eventLoop();
        }
    }

    private static Channel acquire(ConnectionPool pool, InetSocketAddress address, OneChannelDialer dialer) {
        Future<Channel> future = pool.acquire(address, dialer.loop(), dialer);
        assertThat(future.isSuccess()).isTrue();
        return future.getNow();
    }

    @Test
    void pooled_rejectsBadSettings() {
        assertThatThrownBy(() -> ConnectionPools.pooled(0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxIdlePerOrigin: 0 (expected: >= 1)");
        assertThatThrownBy(() -> ConnectionPools.pooled(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("idleTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> ConnectionPools.pooled(1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("idleTimeout: PT-1S (expected: > 0)");
        assertThatThrownBy(() -> ConnectionPools.pooled(1, Duration.ofDays(366)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("idleTimeout: PT8784H (expected: <=");
        assertThatThrownBy(() -> ConnectionPools.pooled(1, null))
                .isInstanceOf(NullPointerException.class).hasMessage("idleTimeout");
    }

    @Test
    void aConnectionReleasedAsReusable_isLentAgain_withACleanPipeline() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        OneChannelDialer dialer = new OneChannelDialer();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, true);
        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.config().isAutoRead()).as("reads while idle to notice a close").isTrue();

        Channel again = acquire(pool, ORIGIN, dialer);
        assertThat(again).isSameAs(channel);
        assertThat(dialer.dials).hasValue(1);
        assertThat(again.pipeline().first()).isNull();
        assertThat(again.config().isAutoRead()).isFalse();
        pool.release(again, false);
    }

    @Test
    void aConnectionReleasedAsNotReusable_isClosed_andNeverLent() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        OneChannelDialer dialer = new OneChannelDialer();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, false);
        assertThat(channel.isOpen()).isFalse();
        acquire(pool, ORIGIN, dialer);
        assertThat(dialer.dials).hasValue(2);
    }

    @Test
    void aConnectionWithHandlersLeft_isClosed() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        OneChannelDialer dialer = new OneChannelDialer();
        Channel channel = acquire(pool, ORIGIN, dialer);
        channel.pipeline().addLast(new ChannelInboundHandlerAdapter());
        pool.release(channel, true);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aConnectionThePoolDidNotLend_isClosed() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        EmbeddedChannel stranger = new EmbeddedChannel();
        pool.release(stranger, true);
        assertThat(stranger.isOpen()).isFalse();
    }

    @Test
    void connectionsAreKeptPerOriginAddress() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        OneChannelDialer dialer = new OneChannelDialer();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, true);
        OneChannelDialer otherDialer = new OneChannelDialer();
        Future<Channel> other = pool.acquire(OTHER, dialer.loop(), otherDialer);
        assertThat(other.getNow()).isSameAs(otherDialer.channel);
        assertThat(otherDialer.dials).hasValue(1);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void anIdleConnectionTheOriginHalfClosed_isEvicted_andNeverLent() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        OneChannelDialer dialer = new OneChannelDialer();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, true);
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(channel.isOpen()).isFalse();
        acquire(pool, ORIGIN, dialer);
        assertThat(dialer.dials).hasValue(2);
    }

    @Test
    void anIdleConnectionThatClosed_isNeverLent() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        OneChannelDialer dialer = new OneChannelDialer();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, true);
        channel.close();
        acquire(pool, ORIGIN, dialer);
        assertThat(dialer.dials).hasValue(2);
    }

    @Test
    void anIdleConnectionThatSendsBytesUnasked_isClosed_andTheBytesReleased() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofMinutes(1));
        OneChannelDialer dialer = new OneChannelDialer();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, true);
        dialer.channel.writeInbound(Unpooled.copiedBuffer(new byte[] {'H', 'T', 'T', 'P'}));
        assertThat(channel.isOpen()).isFalse();
        assertThat(dialer.channel.finish()).isFalse();
    }

    @Test
    void anIdleConnection_isClosedAfterTheIdleTimeout() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofSeconds(30));
        OneChannelDialer dialer = new OneChannelDialer();
        dialer.channel.freezeTime();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, true);
        dialer.channel.advanceTimeBy(29, TimeUnit.SECONDS);
        dialer.channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        dialer.channel.advanceTimeBy(2, TimeUnit.SECONDS);
        dialer.channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
        acquire(pool, ORIGIN, dialer);
        assertThat(dialer.dials).hasValue(2);
    }

    @Test
    void aLentConnection_isNotClosedByTheIdleTimeout() {
        ConnectionPool pool = ConnectionPools.pooled(2, Duration.ofSeconds(30));
        OneChannelDialer dialer = new OneChannelDialer();
        dialer.channel.freezeTime();
        Channel channel = acquire(pool, ORIGIN, dialer);
        pool.release(channel, true);
        assertThat(acquire(pool, ORIGIN, dialer)).isSameAs(channel);
        dialer.channel.advanceTimeBy(31, TimeUnit.SECONDS);
        dialer.channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        pool.release(channel, false);
    }
}

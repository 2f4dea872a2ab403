package dev.sallyport.core.internal.session;

import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.core.internal.policy.UserLimits;
import dev.sallyport.core.testing.FakeTicker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay between two {@link EmbeddedChannel}s: every call runs on the test thread, and the idle
 * check, the maximum duration and shaping pauses run when the test advances the channels' frozen
 * clocks. Half-close and TCP back-pressure on real sockets are in {@link RelaySocketTest}.
 *
 * <p>The relay reports to its session only through {@code fail} and {@code idle}, which use no
 * service, so the session here is built without services; the client pipeline gets a plain
 * handler in the guard's place.
 */
class RelayTest {

    private static final Duration NONE = Duration.ZERO;

    private final FakeTicker ticker = new FakeTicker();
    private final EmbeddedChannel client = new ClientChannel();
    private final EmbeddedChannel target = new EmbeddedChannel();

    /** An embedded channel with socket addresses, as a session expects of its client. */
    private static final class ClientChannel extends EmbeddedChannel {
        ClientChannel() {
            pipeline().addLast(DefaultSession.GUARD, new ChannelInboundHandlerAdapter());
            freezeTime();
            config().setAutoRead(false);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("192.0.2.1", 40000);
        }

        @Override
        protected SocketAddress localAddress0() {
            return new InetSocketAddress("127.0.0.1", 1080);
        }
    }

    {
        target.freezeTime();
        target.config().setAutoRead(false);
    }

    @AfterEach
    void bothChannelsHoldNothing() {
        assertThat(client.finish()).isFalse();
        assertThat(target.finish()).isFalse();
    }

    private Relay relay(Duration idle, Duration max, UserLimits.State limits) {
        return new Relay(new DefaultSession(null, Protocol.SOCKS5, client), client, target, idle, max, limits);
    }

    private Relay start() {
        Relay relay = relay(NONE, NONE, null);
        relay.start(false);
        return relay;
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** The next buffer {@code channel} wrote, which must be {@code expected} itself, released. */
    private static void assertWroteSame(EmbeddedChannel channel, ByteBuf expected) {
        ByteBuf written = channel.readOutbound();
        try {
            assertThat(written).isSameAs(expected);
        } finally {
            written.release();
        }
    }

    private static void advance(EmbeddedChannel channel, Duration amount) {
        channel.advanceTimeBy(amount.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void start_turnsReadingOnForBothSides() {
        start();

        assertThat(client.config().isAutoRead()).isTrue();
        assertThat(target.config().isAutoRead()).isTrue();
    }

    @Test
    void bytes_passBothWays_asTheSameBuffers_andAreCounted() {
        Relay relay = start();
        ByteBuf ping = text("ping!");
        ByteBuf pong = text("pong");

        client.writeInbound(ping);
        target.writeInbound(pong);

        assertWroteSame(target, ping);
        assertWroteSame(client, pong);
        assertThat(relay.bytesUp()).isEqualTo(5);
        assertThat(relay.bytesDown()).isEqualTo(4);
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void unwritableSink_stopsReadingTheSource_untilItDrains() {
        start();
        target.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        ByteBuf data = text("data");

        client.writeInbound(data);

        assertWroteSame(target, data); // bytes already read are passed on, never held back
        assertThat(client.config().isAutoRead()).isFalse();
        assertThat(target.config().isAutoRead()).isTrue();

        target.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        target.runPendingTasks(); // Netty announces regained writability in a task on the loop

        assertThat(client.config().isAutoRead()).isTrue();
    }

    @Test
    void shapedTunnel_readsInSmallSteps_andPausesTheSourceForTheComputedDebt() {
        UserLimits limits = new UserLimits(ticker, Limits.NONE);
        UserLimits.State state = limits.admit(new Principal("alice", Limits.NONE.withBandwidth(100_000), Map.of()),
                new InetSocketAddress("192.0.2.1", 0).getAddress(), reason -> { }).state();
        relay(NONE, NONE, state).start(false);
        MaxMessagesRecvByteBufAllocator reads = target.config().getRecvByteBufAllocator();
        assertThat(reads.maxMessagesPerRead()).isEqualTo(1);
        assertThat(reads.newHandle().guess()).isEqualTo(2_000); // a fiftieth of the rate

        ByteBuf burstAndMore = Unpooled.buffer().writeZero(16 * 1024 + 1_000);
        target.writeInbound(burstAndMore);

        assertWroteSame(client, burstAndMore);
        assertThat(target.config().isAutoRead()).isFalse();
        assertThat(client.config().isAutoRead()).isTrue();
        ticker.advance(Duration.ofMillis(10));
        advance(target, Duration.ofMillis(10).minusNanos(1));
        assertThat(target.config().isAutoRead()).isFalse();
        advance(target, Duration.ofNanos(1));
        assertThat(target.config().isAutoRead()).isTrue();
    }

    @Test
    void clientInputShutdown_halfClosesTowardsTheTarget_andTheOtherWayKeepsFlowing() {
        Relay relay = start();

        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);

        assertThat(client.config().isAutoRead()).isFalse();
        assertThat((ByteBuf) target.readOutbound()).isSameAs(Unpooled.EMPTY_BUFFER); // the flush before shutdownOutput
        assertThat(client.isOpen()).isTrue();
        assertThat(target.isOpen()).isTrue();
        ByteBuf reply = text("reply");
        target.writeInbound(reply);
        assertWroteSame(client, reply);
        assertThat(relay.bytesDown()).isEqualTo(5);
    }

    @Test
    void inputShutdownOnBothSides_closesTheTunnel() {
        start();

        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        target.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);

        assertThat(client.isOpen()).isFalse();
        assertThat(target.isOpen()).isFalse();
        assertThat((ByteBuf) target.readOutbound()).isSameAs(Unpooled.EMPTY_BUFFER);
    }

    @Test
    void clientInputAlreadyShutdownAtStart_isPassedOn_andTheClientIsNotRead() {
        relay(NONE, NONE, null).start(true);

        assertThat(client.config().isAutoRead()).isFalse();
        assertThat(target.config().isAutoRead()).isTrue();
        assertThat((ByteBuf) target.readOutbound()).isSameAs(Unpooled.EMPTY_BUFFER);
    }

    @Test
    void targetAlreadyClosedAtStart_closesTheClient() {
        target.close();

        start();

        assertThat(client.isOpen()).isFalse();
        assertThat(client.config().isAutoRead()).isFalse();
    }

    @Test
    void eitherSideClosing_closesTheOther() {
        start();

        target.close();

        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void anExceptionOnEitherSide_closesBoth() {
        start();

        target.pipeline().fireExceptionCaught(new IOException("connection reset"));

        assertThat(client.isOpen()).isFalse();
        assertThat(target.isOpen()).isFalse();
    }

    @Test
    void idleTimeout_closesBoth_afterTwoQuietHalfPeriods() {
        relay(Duration.ofSeconds(10), NONE, null).start(false);

        advance(client, Duration.ofSeconds(5));
        assertThat(client.isOpen()).isTrue();
        advance(client, Duration.ofSeconds(5));

        assertThat(client.isOpen()).isFalse();
        assertThat(target.isOpen()).isFalse();
    }

    @Test
    void idleTimeout_aReadInEachHalfPeriodKeepsTheTunnelOpen() {
        relay(Duration.ofSeconds(10), NONE, null).start(false);

        for (int i = 0; i < 6; i++) {
            ByteBuf keepAlive = text("k");
            (i % 2 == 0 ? target : client).writeInbound(keepAlive);
            assertWroteSame(i % 2 == 0 ? client : target, keepAlive);
            advance(client, Duration.ofSeconds(5));
        }

        assertThat(client.isOpen()).isTrue();
        advance(client, Duration.ofSeconds(10));
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void maxDuration_closesBoth_evenWhileBusy() {
        relay(NONE, Duration.ofSeconds(30), null).start(false);
        ByteBuf busy = text("busy");
        client.writeInbound(busy);
        assertWroteSame(target, busy);

        advance(client, Duration.ofSeconds(30).minusNanos(1));
        assertThat(client.isOpen()).isTrue();
        advance(client, Duration.ofNanos(1));

        assertThat(client.isOpen()).isFalse();
        assertThat(target.isOpen()).isFalse();
    }
}

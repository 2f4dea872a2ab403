package dev.sallyport.http;

import dev.sallyport.core.spi.SessionEvent;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection the HTTP frontend is closing itself does not pass the shutdown's
 * {@link SessionEvent#DRAINING} on to core: core would report the connection as cut by the
 * shutdown (an extra {@code SHUTDOWN} summary) although every request on it was answered. The
 * race behind it: the client closes after a 407, and the shutdown's event arrives before the
 * connection's end is processed.
 */
class ClosingConnectionDrainTest {

    /**
     * The user events that got past the frontend, i.e. the ones core would see; the shutdown's
     * DRAINING arrives just as the connection is being closed, before its end is processed.
     */
    private static List<Object> eventsReachingCore_drainingAtClose(EmbeddedSession session) {
        List<Object> events = new ArrayList<>();
        session.client.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
                ctx.pipeline().fireUserEventTriggered(SessionEvent.DRAINING);
                super.close(ctx, promise);
            }
        });
        session.client.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                events.add(event);
            }
        });
        return events;
    }

    @Test
    void drainingWhileTheFrontendClosesAfterItsAnswer_staysInTheFrontend() {
        EmbeddedSession session = new EmbeddedSession();
        List<Object> events = eventsReachingCore_drainingAtClose(session);

        session.client.writeInbound(Unpooled.copiedBuffer("NOT-A-REQUEST\r\n\r\n", StandardCharsets.ISO_8859_1));

        assertThat(EmbeddedSession.drain(session.client)).startsWith("HTTP/1.1 400");
        assertThat(session.client.isOpen()).isFalse();
        assertThat(events).doesNotContain(SessionEvent.DRAINING);
    }

    @Test
    void drainingWhileTheFrontendClosesAfterTheClientsEnd_staysInTheFrontend() {
        EmbeddedSession session = new EmbeddedSession();
        List<Object> events = eventsReachingCore_drainingAtClose(session);

        session.client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        session.client.runPendingTasks();

        assertThat(session.client.isOpen()).isFalse();
        assertThat(events).doesNotContain(SessionEvent.DRAINING);
    }
}

package dev.sallyport.core.internal.session;

import dev.sallyport.api.Outcome;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Client connections the manager closes because the drain timeout of {@code close(Duration)} ran
 * out: what they still report as ending normally, or by the client's close, ended
 * {@link Outcome#SHUTDOWN}. The mark is set from the closing thread before the connection is
 * closed; it is read on the connection's event loop once the connection is inactive, so an
 * exchange that completed before the cut keeps its own outcome.
 */
public final class ShutdownCut {

    private static final AttributeKey<Boolean> CUT = AttributeKey.valueOf("sallyport.cutAtShutdown");

    private ShutdownCut() {
    }

    /** Marks {@code connection} as cut by the shutdown. */
    public static void mark(Channel connection) {
        connection.attr(CUT).set(Boolean.TRUE);
    }

    /** {@code end}, or {@link Outcome#SHUTDOWN} when it reads as a normal end of a connection the shutdown cut. */
    static Outcome outcome(Channel connection, Outcome end) {
        boolean normalEnd = end == Outcome.OK || end == Outcome.CLIENT_CLOSED;
        return normalEnd && !connection.isActive() && connection.hasAttr(CUT) ? Outcome.SHUTDOWN : end;
    }
}

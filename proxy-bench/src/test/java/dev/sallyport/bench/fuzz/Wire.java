package dev.sallyport.bench.fuzz;

import dev.sallyport.core.spi.SessionEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One fuzzed client connection: an {@link EmbeddedChannel} for a frontend's handlers, whose
 * allocator counts every byte it hands out and takes back. The input goes in as the reads drawn;
 * replies and the bytes passed on past the handshake are read out as bytes, each buffer released.
 * {@link #finish} closes every channel of the connection and then requires the allocator to be
 * back at zero: a buffer not released is a failure of this very input, found at once, without
 * waiting for the garbage collector (Netty's PARANOID detector, which also watches these buffers,
 * is checked once per property run).
 */
final class Wire {

    /** Counts what it hands out; leak-aware buffers (PARANOID in tests) like any other allocator's. */
    final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
    final EmbeddedChannel channel = new EmbeddedChannel();
    private final ByteArrayOutputStream replies = new ByteArrayOutputStream();
    private final ByteArrayOutputStream passedOn = new ByteArrayOutputStream();
    private int reads;

    Wire() {
        channel.config().setAllocator(alloc);
    }

    /** Writes {@code input} in the pieces {@code cuts} describes, until the handlers close the connection. */
    Wire feed(byte[] input, int[] cuts) {
        for (byte[] piece : Inputs.pieces(input, cuts)) {
            if (!channel.isOpen()) {
                break;
            }
            reads++;
            channel.writeInbound(alloc.heapBuffer(piece.length).writeBytes(piece));
        }
        return this;
    }

    /** The client shut its output down (a FIN): what a socket channel reports with half-closure on. */
    void endOfInput() {
        if (channel.isOpen()) {
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    /** Core's handshake timer fired. */
    void handshakeTimeout() {
        if (channel.isOpen()) {
            channel.pipeline().fireUserEventTriggered(SessionEvent.HANDSHAKE_TIMEOUT);
        }
    }

    /** Everything written to the client so far. */
    byte[] replies() {
        drain(channel.outboundMessages(), replies);
        return replies.toByteArray();
    }

    /** Everything that went on past the frontend's handlers (into what would be core's relay). */
    byte[] passedOn() {
        drain(channel.inboundMessages(), passedOn);
        return passedOn.toByteArray();
    }

    /** How many reads the input took. */
    int reads() {
        return reads;
    }

    /** Everything written to {@code channel} (an outbound channel of the session), as bytes. */
    static byte[] written(EmbeddedChannel channel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        drain(channel.outboundMessages(), out);
        return out.toByteArray();
    }

    /**
     * Ends the connection as a client leaving would: closes the client channel and the session's
     * outbound channels, reads out and releases what is left, requires {@code finish()} to find
     * nothing more, and the allocator to have every byte back.
     */
    void finish(FuzzSession session) {
        replies();
        passedOn();
        channel.close();
        List<EmbeddedChannel> all = new ArrayList<>(session.outbound);
        all.add(channel);
        for (EmbeddedChannel each : all) {
            each.close();
            drain(each.outboundMessages(), new ByteArrayOutputStream());
            drain(each.inboundMessages(), new ByteArrayOutputStream());
            assertThat(each.finish()).as("messages left in a channel after close").isFalse();
        }
        assertAllReleased(alloc);
    }

    /** Every byte {@code alloc} handed out is back: no buffer of it is left unreleased. */
    static void assertAllReleased(UnpooledByteBufAllocator alloc) {
        ByteBufAllocatorMetric metric = alloc.metric();
        assertThat(metric.usedHeapMemory() + metric.usedDirectMemory())
                .as("bytes of buffers not released (a leak)").isZero();
    }

    private static void drain(Queue<Object> messages, ByteArrayOutputStream into) {
        for (Object message; (message = messages.poll()) != null; ) {
            if (!(message instanceof ByteBuf buf)) {
                ReferenceCountUtil.release(message);
                throw new AssertionError("only bytes travel on a socket, not " + message.getClass().getName());
            }
            try {
                byte[] raw = new byte[buf.readableBytes()];
                buf.readBytes(raw);
                into.writeBytes(raw);
            } finally {
                buf.release();
            }
        }
    }
}

package dev.sallyport.core.internal;

import dev.sallyport.core.spi.SessionEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * First handler of a connection on a listener with PROXY protocol: tells from the first bytes
 * whether the connection starts with a header, and lets one through only from a trusted source.
 *
 * <p>Bounded: the decision needs at most 12 bytes (the v2 signature) and is taken at the first
 * byte that matches neither signature, so a client of another protocol is never kept waiting.
 * A header goes to Netty's {@link HAProxyMessageDecoder}, which allows the spec's maxima (v1:
 * 107 bytes, v2: 16 + 65535) and closes on anything malformed. The whole wait is cut by the
 * handshake timeout. Once the client is known, the listener's own handlers take over and the
 * bytes after the header are replayed to them; this handler and the decoder are gone.
 */
public final class ProxyProtocolGate extends ChannelInboundHandlerAdapter {

    /** What the gate decided, told to the listener (fuzzing hands in its own). */
    public interface Listener {
        /** The client is known: count it unless {@code countClient} is false, then install the listener's handlers. */
        void clientKnown(Channel channel, boolean countClient);

        /** Close the connection; {@code reason} is short and bounded, {@code detail} for the DEBUG log. */
        void refuse(Channel channel, String reason, String detail);
    }

    static final String NAME = "sallyport-proxy-protocol";
    private static final String DECODER = "sallyport-proxy-protocol-decoder";
    /** v1 starts with "PROXY " (spec 2.1); v2 with this 12-byte signature (spec 2.2). */
    private static final byte[] V1 = {'P', 'R', 'O', 'X', 'Y', ' '};
    private static final byte[] V2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private final Listener listener;
    private final Duration handshakeTimeout;
    private final boolean trusted;
    private final boolean required;
    /** Bytes read before the decision: fewer than 12 unless one read brought more. */
    private ByteBuf pending;
    private ScheduledFuture<?> timeout;
    private boolean decoding;
    private boolean done;

    /**
     * @param listener told the decision
     * @param handshakeTimeout how long the whole header may take
     * @param trusted whether the peer is a trusted source
     * @param required whether a trusted source must send a header
     */
    public ProxyProtocolGate(Listener listener, Duration handshakeTimeout, boolean trusted, boolean required) {
        this.listener = listener;
        this.handshakeTimeout = handshakeTimeout;
        this.trusted = trusted;
        this.required = required;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> refuse(ctx, "timeout", "no complete header within the handshake timeout"),
                handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage header) {
            try {
                headerRead(ctx, header);
            } finally {
                header.release();
            }
            return;
        }
        if (done || decoding || !(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        pending = pending == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), pending, in);
        int signature = signature(pending);
        if (signature < 0) {
            return;
        }
        if (signature == 0) {
            if (trusted && required) {
                refuse(ctx, "missing", "required, and the connection does not start with a header");
            } else {
                pass(ctx, null);
            }
        } else if (!trusted) {
            refuse(ctx, "untrusted", "a header from a source that is not trusted");
        } else {
            // Netty's decoder goes in front and gets the bytes from the head of the pipeline; the
            // header comes back here as a message, a malformed one as an exception.
            decoding = true;
            ByteBuf bytes = pending;
            pending = null;
            ctx.pipeline().addBefore(ctx.name(), DECODER, new HAProxyMessageDecoder());
            ctx.pipeline().fireChannelRead(bytes);
        }
    }

    /** 1 or 2 for the version whose signature starts {@code in}, 0 for none, -1 while undecided. */
    static int signature(ByteBuf in) {
        boolean v1 = true;
        boolean v2 = true;
        int start = in.readerIndex();
        int readable = in.readableBytes();
        for (int i = 0; i < readable && i < V2.length; i++) {
            byte b = in.getByte(start + i);
            v1 &= i >= V1.length || b == V1[i];
            v2 &= b == V2[i];
            if (!v1 && !v2) {
                return 0;
            }
            if (v1 && i == V1.length - 1) {
                return 1;
            }
        }
        return v2 && readable >= V2.length ? 2 : -1;
    }

    private void headerRead(ChannelHandlerContext ctx, HAProxyMessage header) {
        if (done) {
            return;
        }
        if (header.command() == HAProxyCommand.LOCAL) {
            pass(ctx, null);
            return;
        }
        switch (header.proxiedProtocol()) {
            case TCP4, TCP6 -> {
                InetAddress source = NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
                // 010.1.1.1 is 8.1.1.1 to some parsers and 10.1.1.1 to others: only plain dotted decimal is one address.
                if (source == null || (source instanceof Inet4Address
                        && !source.getHostAddress().equals(header.sourceAddress()))) {
                    refuse(ctx, "malformed", "source address " + header.sourceAddress());
                } else {
                    pass(ctx, new InetSocketAddress(source, header.sourcePort()));
                }
            }
            case UDP4, UDP6 -> refuse(ctx, "malformed", "a UDP source on a TCP connection");
            // v1 UNKNOWN, v2 AF_UNSPEC or a UNIX socket: the spec says to use the real connection's address.
            default -> pass(ctx, null);
        }
    }

    /** The client is known ({@code client} null: the peer itself): the listener's handlers take over. */
    private void pass(ChannelHandlerContext ctx, InetSocketAddress client) {
        done = true;
        timeout.cancel(false);
        if (client != null) {
            ctx.channel().attr(ClientAddress.FROM_HEADER).set(client);
        }
        ByteBuf bytes = pending;
        pending = null;
        ctx.pipeline().remove(this);
        listener.clientKnown(ctx.channel(), trusted);
        if (bytes != null) {
            ctx.pipeline().fireChannelRead(bytes);
        }
    }

    private void refuse(ChannelHandlerContext ctx, String reason, String detail) {
        if (done) {
            return;
        }
        done = true;
        timeout.cancel(false);
        release();
        listener.refuse(ctx.channel(), reason, detail);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            refuse(ctx, "truncated", "input ended before the header was complete");
        } else if (event == SessionEvent.DRAINING) {
            // Shutting down before the client was known: nothing to finish.
            done = true;
            timeout.cancel(false);
            release();
            ctx.close();
        } else {
            ReferenceCountUtil.release(event);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done && (decoding || pending != null)) {
            refuse(ctx, "truncated", "closed before the header was complete");
        }
        // Closed before sending a byte (an L4 health check, for one): nothing to report.
        done = true;
        timeout.cancel(false);
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            refuse(ctx, "malformed", cause.getMessage());
        } else {
            refuse(ctx, "failed", cause.toString());
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}

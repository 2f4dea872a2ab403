package dev.sallyport.core.internal.session;

import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.Transport;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.policy.UserLimits;

import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.DatagramCodec;
import dev.sallyport.core.spi.SessionException;
import dev.sallyport.core.spi.Shaper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One UDP association (RFC 1928 section 7): a UDP socket bound to the address the client reached
 * the proxy on, relaying the client's datagrams to their destinations and the destinations'
 * replies back to the client, with the same policy and accounting as a TCP tunnel. The wire
 * format is the frontend's {@link DatagramCodec}; everything else is decided here.
 *
 * <ul>
 *   <li>Who may use it: datagrams from the client's IP address only, and from one port: the one
 *       the request named, or else the source port of the client's first datagram. A datagram from
 *       anyone else that is not a reply from a destination the client sent to is a stranger's:
 *       dropped without an answer and counted as {@code udp-stranger}.</li>
 *   <li>Each client datagram: decoded (drops counted under the codec's reason, e.g.
 *       {@code udp-fragment}), its destination resolved (names asynchronously through the
 *       resolver), checked against the access rules (a denial drops it, counted as {@code rule}),
 *       then sent, its payload counted as bytes up and shaped by the user's upload bucket.</li>
 *   <li>Each reply: wrapped with its source's address, sent to the client, counted as bytes down
 *       and shaped by the download bucket. Shaping pauses reading the socket, so the kernel's
 *       receive buffer absorbs a burst and drops what does not fit, as UDP does.</li>
 *   <li>Ends with its control connection, or after the idle timeout without a datagram either way,
 *       or at the maximum session length; the socket is closed and nothing stays open.</li>
 * </ul>
 *
 * Confined to the client channel's event loop, on which the socket is registered too.
 */
public final class UdpAssociation {

    private static final Logger log = LoggerFactory.getLogger(UdpAssociation.class);
    /** Largest datagram read: a UDP payload is at most 65,507 bytes over IPv4. */
    private static final int MAX_DATAGRAM = 65536;
    /** Destinations remembered for replies; the oldest is forgotten beyond this. */
    private static final int MAX_DESTINATIONS = 1024;
    /** Datagrams waiting for name resolution at once; more are dropped as {@code udp-busy}. */
    private static final int MAX_RESOLVING = 64;

    private final Services services;
    private final DefaultSession session;
    private final Protocol protocol;
    private final Channel control;
    private final DatagramCodec codec;
    private final Principal principal;
    private final InetAddress clientIp;
    private final InetSocketAddress clientAddress;
    private final InetSocketAddress listener;
    /** The client's UDP address: the port named in the request, or learned from its first datagram; null until known. */
    private InetSocketAddress clientEndpoint;
    /** Destinations the client sent to, whose datagrams are relayed back as replies. */
    private final Map<InetSocketAddress, Boolean> destinations = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetSocketAddress, Boolean> eldest) {
            return size() > MAX_DESTINATIONS;
        }
    };
    private Channel socket;
    private long bytesUp;
    private long bytesDown;
    private int resolving;
    private SessionTimers timers;
    /** Shaping pauses reading the one socket, for either direction's budget. */
    private final Shaper upShaper;
    private final Shaper downShaper;
    private boolean closed;

    private UdpAssociation(Services services, DefaultSession session, Protocol protocol, Channel control,
                           DatagramCodec codec, Principal principal, UserLimits.State limits, int clientPort) {
        this.services = services;
        this.session = session;
        this.protocol = protocol;
        this.control = control;
        this.codec = codec;
        this.principal = principal;
        this.upShaper = BucketShaper.of(limits, true, control.eventLoop(), this::pauseReading, this::resumeReading);
        this.downShaper = BucketShaper.of(limits, false, control.eventLoop(), this::pauseReading, this::resumeReading);
        // The client the session knows (a PROXY protocol header's, behind a balancer): its datagrams
        // must come from there, straight to this instance.
        this.clientAddress = session.client();
        this.clientIp = Addresses.unmapped(clientAddress.getAddress());
        InetSocketAddress local = (InetSocketAddress) control.localAddress();
        this.listener = new InetSocketAddress(Addresses.unmapped(local.getAddress()), local.getPort());
        this.clientEndpoint = clientPort == 0 ? null : new InetSocketAddress(clientIp, clientPort);
    }

    /**
     * Opens the association's socket on the address of {@code control}'s local end, port 0, and
     * completes {@code promise} with its address.
     */
    static UdpAssociation open(Services services, DefaultSession session, Protocol protocol, Channel control,
                               DatagramCodec codec, Principal principal, UserLimits.State limits, int clientPort,
                               Promise<InetSocketAddress> promise) {
        UdpAssociation association = new UdpAssociation(services, session, protocol, control, codec, principal, limits,
                clientPort);
        association.bind(promise);
        return association;
    }

    private void bind(Promise<InetSocketAddress> promise) {
        EventLoop loop = control.eventLoop();
        Transport transport = services.transport();
        ChannelFuture bound = new Bootstrap()
                .group(loop)
                .channel(transport.datagramChannelClass())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Engine.WATER_MARK)
                .handler(new Handler())
                .bind(new InetSocketAddress(listener.getAddress(), 0));
        socket = bound.channel();
        bound.addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(new SessionException(Outcome.ERROR, null, protocol.id() + " UDP ASSOCIATE from "
                        + Addresses.format(clientAddress) + ": cannot open a UDP socket on "
                        + listener.getAddress().getHostAddress(), f.cause()));
                return;
            }
            if (closed) {
                socket.close();
                promise.tryFailure(new SessionException(Outcome.CLIENT_CLOSED, null, "client closed", null));
                return;
            }
            startTimers(loop);
            InetSocketAddress address = (InetSocketAddress) socket.localAddress();
            log.debug("{} UDP ASSOCIATE from {}: relaying on {}", protocol.id(), Addresses.format(clientAddress),
                    Addresses.format(address));
            if (!promise.trySuccess(address)) {
                close();
            }
        });
    }

    private void startTimers(EventLoop loop) {
        timers = new SessionTimers(loop, services.settings().idleTimeout(), services.settings().maxSessionDuration(),
                () -> {
                    log.debug("Closing idle UDP association of {}", Addresses.format(clientAddress));
                    session.idle();
                    control.close();
                }, () -> {
                    log.debug("Closing UDP association of {}: maximum session length reached",
                            Addresses.format(clientAddress));
                    session.fail(Outcome.MAX_DURATION);
                    control.close();
                });
    }

    long bytesUp() {
        return bytesUp;
    }

    long bytesDown() {
        return bytesDown;
    }

    /** Ends the association: the socket closes; datagrams still being resolved are released. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (timers != null) {
            timers.cancel();
        }
        upShaper.cancel();
        downShaper.cancel();
        if (socket != null) {
            socket.close();
        }
    }

    private void received(DatagramPacket packet) {
        InetSocketAddress sender = packet.sender();
        InetSocketAddress from = new InetSocketAddress(Addresses.unmapped(sender.getAddress()), sender.getPort());
        if (timers != null) {
            timers.read();
        }
        if (from.equals(clientEndpoint)) {
            fromClient(packet.content());
        } else if (destinations.containsKey(from)) {
            reply(from, packet.content());
        } else if (clientEndpoint == null && from.getAddress().equals(clientIp)) {
            // RFC 1928 section 7: a client that named no port is known by its first datagram.
            clientEndpoint = from;
            fromClient(packet.content());
        } else {
            log.debug("UDP association of {}: dropped a datagram from stranger {}", Addresses.format(clientAddress),
                    Addresses.format(from));
            drop(packet.content(), "udp-stranger");
        }
    }

    private void fromClient(ByteBuf datagram) {
        DatagramCodec.Decoded decoded;
        try {
            decoded = codec.decode(datagram);
        } catch (RuntimeException e) {
            log.debug("UDP association of {}: codec failed", Addresses.format(clientAddress), e);
            decoded = DatagramCodec.Decoded.drop("udp-malformed");
        }
        if (decoded.dropped()) {
            drop(datagram, decoded.dropReason());
            return;
        }
        String host = decoded.host();
        int port = decoded.port();
        InetAddress literal = Addresses.literal(host);
        if (literal != null) {
            forward(datagram, host, port, List.of(literal));
            return;
        }
        if (resolving >= MAX_RESOLVING) {
            drop(datagram, "udp-busy");
            return;
        }
        resolving++;
        EventLoop loop = control.eventLoop();
        Future<List<InetAddress>> lookup = services.resolve(host, loop);
        lookup.addListener(f -> {
            if (loop.inEventLoop()) {
                resolved(datagram, host, port, f);
                return;
            }
            try {
                loop.execute(() -> resolved(datagram, host, port, f));
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                datagram.release();
            }
        });
    }

    private void resolved(ByteBuf datagram, String host, int port, Future<?> f) {
        resolving--;
        if (closed) {
            datagram.release();
            return;
        }
        @SuppressWarnings("unchecked")
        List<InetAddress> addresses = f.isSuccess() ? (List<InetAddress>) f.getNow() : null;
        if (addresses == null || addresses.isEmpty()) {
            Throwable cause = f.cause() != null ? f.cause() : new UnknownHostException(host);
            log.debug("UDP association of {}: cannot resolve {}", Addresses.format(clientAddress), host, cause);
            drop(datagram, "udp-dns");
            return;
        }
        forward(datagram, host, port, addresses);
        socket.flush();
    }

    /** Checks the rules against every address (as a CONNECT does), then sends to one of the socket's family. */
    private void forward(ByteBuf datagram, String host, int port, List<InetAddress> addresses) {
        ProxyRequest request = new ProxyRequest(protocol, Command.UDP_ASSOCIATE, clientAddress, listener,
                Credentials.none(), host, port);
        RuleChain.Verdict verdict = services.rules().evaluateAll(request, principal, addresses);
        if (!verdict.allowed()) {
            log.debug("UDP association of {}: datagram to {}:{} denied by rule {} ({})", Addresses.format(clientAddress),
                    host, port, verdict.rule(), verdict.decision().reason());
            drop(datagram, "rule");
            return;
        }
        InetAddress address = sameFamily(addresses);
        if (address == null) {
            drop(datagram, "udp-address-family");
            return;
        }
        if (!socket.isWritable()) {
            drop(datagram, "udp-busy");
            return;
        }
        InetSocketAddress target = new InetSocketAddress(Addresses.unmapped(address), port);
        destinations.put(target, Boolean.TRUE);
        int n = datagram.readableBytes();
        bytesUp += n;
        socket.write(new DatagramPacket(datagram, target), socket.voidPromise());
        upShaper.charge(n);
    }

    /** The first address the socket can send to: an IPv4 socket reaches IPv4 only, an IPv6 one IPv6 only. */
    private InetAddress sameFamily(List<InetAddress> addresses) {
        boolean ipv4 = listener.getAddress() instanceof Inet4Address;
        for (InetAddress address : addresses) {
            if ((Addresses.unmapped(address) instanceof Inet4Address) == ipv4) {
                return address;
            }
        }
        return null;
    }

    private void reply(InetSocketAddress from, ByteBuf payload) {
        if (!socket.isWritable()) {
            drop(payload, "udp-busy");
            return;
        }
        ByteBuf header;
        try {
            header = codec.header(socket.alloc(), from);
        } catch (RuntimeException e) {
            log.debug("UDP association of {}: codec failed", Addresses.format(clientAddress), e);
            drop(payload, "udp-malformed");
            return;
        }
        int n = payload.readableBytes();
        bytesDown += n;
        ByteBuf wrapped = socket.alloc().compositeBuffer(2).addComponents(true, header, payload);
        socket.write(new DatagramPacket(wrapped, clientEndpoint), socket.voidPromise());
        downShaper.charge(n);
    }

    private void drop(ByteBuf datagram, String reason) {
        datagram.release();
        services.metrics().rejected(protocol, reason);
    }

    private void pauseReading() {
        socket.config().setAutoRead(false);
    }

    private void resumeReading() {
        if (!closed && !upShaper.paused() && !downShaper.paused()) {
            socket.config().setAutoRead(true);
        }
    }

    /** The socket's only handler. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket packet && !closed) {
                received(packet);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!closed) {
                // The socket went away under a live association: end it, with its control connection.
                session.fail(Outcome.ERROR);
                close();
                control.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A failed send or an ICMP error for one datagram: the association goes on.
            log.debug("UDP association of {}: {}", Addresses.format(clientAddress), cause.toString());
        }
    }
}

package dev.sallyport.core.internal.forward;

import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.net.ConnectionCap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The forward-auth listener of {@code builder().forwardAuth(...)}: HTTP/1.1 on one of the
 * manager's own I/O threads (the work per request is a header parse and a cache lookup; password
 * hashing runs in the auth chain's queue), so it lives and dies with the manager's event loops
 * and needs no close of its own. Limits: request line 4 KiB, head 8 KiB, body 1 KiB, each request
 * whole within the handshake timeout, {@link #MAX_CONNECTIONS} connections at once and
 * {@link #MAX_CONNECTIONS_PER_CLIENT} from one client IP (a reverse proxy opens one per check in
 * flight; one misbehaving host cannot take every slot), the rest closed at accept and counted in
 * {@code proxy.forward.auth} with outcome {@code max_connections} or {@code max_connections_per_client}.
 */
public final class ForwardAuthServer {

    private static final Logger log = LoggerFactory.getLogger(ForwardAuthServer.class);
    public static final int MAX_CONNECTIONS = 1024;
    public static final int MAX_CONNECTIONS_PER_CLIENT = 256;

    private ForwardAuthServer() {
    }

    /**
     * Binds {@code options}' address on one of {@code engine}'s loops; null when {@code options}
     * is. On failure (the manager requires no login, the port is taken), closes {@code engine}
     * and throws {@link IllegalStateException}.
     */
    public static InetSocketAddress start(Engine engine, ForwardAuthOptions options) {
        if (options == null) {
            return null;
        }
        ForwardAuthCheck check;
        try {
            check = ForwardAuthCheck.of(engine, options.trusted());
        } catch (IllegalStateException e) {
            engine.close(Duration.ZERO);
            throw e;
        }
        Duration timeout = engine.settings().handshakeTimeout();
        ConnectionCap cap = new ConnectionCap("forward auth", MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT,
                engine.metrics()::forwardAuth);
        EventLoop loop = engine.nextLoop();
        ChannelFuture bound = new ServerBootstrap()
                .group(loop)
                .channel(engine.services().transport().serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (!cap.admit(channel)) {
                            return;
                        }
                        channel.pipeline()
                                .addLast("codec", new HttpServerCodec(4096, 8192, 8192))
                                .addLast("aggregator", new HttpObjectAggregator(1024))
                                .addLast("auth", new ForwardAuthHandler(check, timeout, engine.settings().ticker()));
                    }
                })
                .bind(options.address()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            engine.close(Duration.ZERO);
            throw new IllegalStateException("forwardAuth: cannot listen on " + Addresses.format(options.address()) + " ("
                    + bound.cause().getMessage() + "; expected: a free port, or 0 for any)", bound.cause());
        }
        InetSocketAddress address = (InetSocketAddress) bound.channel().localAddress();
        log.info("Forward auth listening on {}{}", Addresses.format(address),
                options.trusted().isEmpty() ? "" : " (X-Forwarded-For believed from " + options.trusted() + ")");
        return address;
    }

    /** {@code address}, or a refusal saying how to turn forward auth on. */
    public static InetSocketAddress require(InetSocketAddress address) {
        if (address == null) {
            throw new IllegalStateException("forwardAuth: not configured (expected: builder().forwardAuth(address))");
        }
        return address;
    }
}

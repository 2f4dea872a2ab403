package dev.sallyport.api;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;

/**
 * Supplies outbound connections. The default dials a new connection for every session; an HTTP
 * frontend reuses keep-alive origin connections. Core calls {@link #acquire(OutboundRequest,
 * EventLoop, Dialer)}, which tells the host name as asked, the principal and the route; its
 * {@code dialer} already follows the route (a chosen source address, an upstream proxy).
 *
 * <p>Threading: called on {@code eventLoop}; must not block. The channel returned must be
 * registered on {@code eventLoop} so both sides of a tunnel share one thread.
 */
public interface ConnectionPool {

    /**
     * Returns a connected channel to {@code address} (already resolved and checked by the access
     * rules), registered on {@code eventLoop}. Use {@code dialer} to open a new one.
     *
     * @param address the target
     * @param eventLoop the event loop of the client's channel
     * @param dialer opens new connections
     * @return completes with a connected channel
     */
    Future<Channel> acquire(InetSocketAddress address, EventLoop eventLoop, Dialer dialer);

    /**
     * Returns a connected channel for {@code request}, registered on {@code eventLoop}: what core
     * calls. {@code dialer} follows the request's route, so a channel it opened must only be reused
     * for requests of the same route. By default, {@link #acquire(InetSocketAddress, EventLoop,
     * Dialer)} with the resolved address.
     *
     * @param request the target as asked and as resolved, the principal and the route
     * @param eventLoop the event loop of the client's channel
     * @param dialer opens new connections along the route
     * @return completes with a connected channel
     */
    default Future<Channel> acquire(OutboundRequest request, EventLoop eventLoop, Dialer dialer) {
        return acquire(request.address(), eventLoop, dialer);
    }

    /**
     * Gives a channel back. {@code reusable} is true only when the channel is at a clean message
     * boundary; a pool that keeps no connections closes it. By default, closes it.
     *
     * @param channel a channel from {@link #acquire}
     * @param reusable whether it may be used for another request
     */
    default void release(Channel channel, boolean reusable) {
        channel.close();
    }

    /**
     * The pool that dials a fresh connection every time and closes it on release.
     *
     * @return a pool that keeps no connection
     */
    static ConnectionPool direct() {
        return DirectPool.INSTANCE;
    }

    /** Opens new outbound connections with core's transport, options and connect timeout. */
    @FunctionalInterface
    interface Dialer {
        /**
         * Connects to {@code address} from {@code eventLoop}; the channel has an empty pipeline.
         *
         * @param address the target
         * @param eventLoop the event loop to register the channel on
         * @return completes with the connected channel
         */
        Future<Channel> dial(InetSocketAddress address, EventLoop eventLoop);
    }
}

package dev.sallyport.core.spi;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import io.netty.channel.Channel;

/**
 * One admitted request of a protocol that carries several requests over one client connection
 * (HTTP forward proxying), from {@link Session#exchange}. Each exchange is its own session for
 * accounting: it is reported as one {@link dev.sallyport.api.SessionSummary} when it
 * {@linkplain #end ends}. Confined to the client channel's event loop.
 */
public interface Exchange {

    /**
     * The request this exchange admitted.
     *
     * @return the request
     */
    ProxyRequest request();

    /**
     * Who made it, or {@link Principal#anonymous()} when the proxy needs no authentication.
     *
     * @return the principal
     */
    Principal principal();

    /**
     * The outbound channel: registered on the client's event loop, auto-read off. The frontend
     * adds its handlers and removes them again before {@link #end ending} the exchange with
     * {@code reusable} true.
     *
     * @return the outbound channel
     */
    Channel outbound();

    /**
     * Whether {@link #outbound()} leads to an HTTP upstream proxy rather than to the origin: then
     * the frontend sends each request in absolute-form, with {@link #upstreamAuthorization()}.
     *
     * @return true for a connection to an HTTP upstream proxy; false by default
     */
    default boolean viaHttpUpstream() {
        return false;
    }

    /**
     * The {@code Proxy-Authorization} value the HTTP upstream of {@link #viaHttpUpstream()} wants
     * ({@code Basic ...}), or null when it needs no login. Never the client's own.
     *
     * @return the header value, or null
     */
    default String upstreamAuthorization() {
        return null;
    }

    /**
     * A shaper for one direction of this exchange ({@code upstream}: client to target), charged
     * with every body byte the frontend passes on: it runs {@code pause} when the user's bandwidth
     * budget is spent and {@code resume} when it has refilled. {@link Shaper#NONE} when the user
     * has no bandwidth limit.
     *
     * @param upstream true for client to target
     * @param pause runs when the budget is spent
     * @param resume runs when the budget has refilled
     * @return the shaper
     */
    default Shaper shaper(boolean upstream, Runnable pause, Runnable resume) {
        return Shaper.NONE;
    }

    /**
     * Adds bytes moved client to target ({@code up}) and target to client ({@code down}).
     *
     * @param up bytes client to target
     * @param down bytes target to client
     */
    void count(long up, long down);

    /**
     * Ends the exchange: gives the outbound channel back to the connection pool, reusable only
     * when it is at a clean message boundary with an empty pipeline, and reports the summary.
     * Idempotent: only the first call counts. Exchanges still open when the client connection
     * closes are ended by core with {@link Outcome#CLIENT_CLOSED} and not reusable.
     *
     * @param outcome how the exchange ended
     * @param reusable whether the outbound channel may carry another request
     */
    void end(Outcome outcome, boolean reusable);
}

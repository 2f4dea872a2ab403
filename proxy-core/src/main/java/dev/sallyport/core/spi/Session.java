package dev.sallyport.core.spi;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;

/**
 * Core's side of one client connection, handed to a {@link Frontend}. Every method must be
 * called on the client channel's event loop; futures complete there too.
 *
 * <p>The path: {@link #authenticate} (when the protocol authenticates before its request),
 * {@link #connect} (authentication if still needed, access rules, resolution, dial), then
 * {@link #relay}. A failure completes the future with a {@link SessionException} whose
 * {@link SessionException#outcome() outcome} the frontend maps to its wire reply.
 */
public interface Session {

    /** The client's address. */
    InetSocketAddress client();

    /** The proxy address the client connected to. */
    InetSocketAddress listener();

    /**
     * Frontend settings from the builder, by name (e.g. {@code http.max-header-size}); values were
     * validated when they were set. Empty when none were set.
     */
    default java.util.Map<String, String> options() {
        return java.util.Map.of();
    }

    /** Whether clients must authenticate on this proxy. */
    boolean authenticationRequired();

    /** The authenticated principal, or {@link Principal#anonymous()}. */
    Principal principal();

    /**
     * Checks credentials through the auth cache and the {@code AuthBackend} chain. On success the
     * principal is remembered for {@link #connect}. Fails with outcome
     * {@link Outcome#AUTH_FAILED} (or {@link Outcome#ERROR} when a backend broke).
     */
    Future<Principal> authenticate(Credentials credentials);

    /**
     * Admits and dials a request: authenticates its credentials unless already done, resolves
     * the target once, evaluates the access rules against the resolved address, and connects to
     * exactly that address with the connect timeout. The channel returned is registered on the
     * client's event loop with auto-read off and an empty pipeline.
     */
    Future<Channel> connect(ProxyRequest request);

    /**
     * Admits and dials one request of a protocol that carries several requests over one client
     * connection (HTTP forward proxying). Like {@link #connect}, but callable once per request:
     * each call authenticates the request's own credentials (when the proxy requires it, through
     * the auth cache), evaluates the access rules, resolves and dials through the connection
     * pool, and becomes its own session summary. When the future fails, the exchange has already
     * been reported with the failure's outcome; on success the frontend ends it with
     * {@link Exchange#end}. Exchanges do not change {@link #principal()}; a connection that ends
     * without any failure recorded through {@link #fail} reports no summary of its own once it
     * made an exchange.
     */
    Future<Exchange> exchange(ProxyRequest request);

    /**
     * Relays bytes between the client and {@code outbound} until both sides are done: adds the
     * relay handlers at the end of both pipelines and turns reading on. Call it after writing the
     * success reply; then remove the frontend's own handlers (bytes they still hold flow on into
     * the relay).
     */
    void relay(Channel outbound);

    /**
     * Records why the handshake failed, for the session summary and metrics, before the frontend
     * sends its error reply and closes. The first outcome recorded wins.
     */
    void fail(Outcome outcome);
}

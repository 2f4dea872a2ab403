package dev.sallyport.core.spi;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.ProtocolOptions;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.util.Optional;

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

    /**
     * The client's address.
     *
     * @return the client's address
     */
    InetSocketAddress client();

    /**
     * The proxy address the client connected to.
     *
     * @return the listener's address
     */
    InetSocketAddress listener();

    /**
     * The protocol module's own settings of type {@code type}, as passed to
     * {@code ProxyManager.Builder.options(...)}; empty when none were set (use the module's defaults).
     *
     * @param <T> the options' type
     * @param type the options' type
     * @return the options, or empty
     */
    default <T extends ProtocolOptions> Optional<T> options(Class<T> type) {
        return Optional.empty();
    }

    /**
     * Whether clients must authenticate on this proxy.
     *
     * @return whether authentication is required
     */
    boolean authenticationRequired();

    /**
     * The authenticated principal, or {@link Principal#anonymous()}.
     *
     * @return the principal
     */
    Principal principal();

    /**
     * Checks credentials through the auth cache and the {@code AuthBackend} chain. On success the
     * principal is remembered for {@link #connect}. Fails with outcome
     * {@link Outcome#AUTH_FAILED} when the credentials are wrong, {@link Outcome#AUTH_UNAVAILABLE}
     * when no backend could check them (one failed or timed out, or the checks are overloaded), or
     * {@link Outcome#LIMITED} when the connection is over a connection cap.
     *
     * @param credentials what the client presented
     * @return completes with the principal
     */
    Future<Principal> authenticate(Credentials credentials);

    /**
     * Admits and dials a request: authenticates its credentials unless already done, resolves
     * the target once, evaluates the access rules against the resolved address, and connects to
     * exactly that address with the connect timeout. The channel returned is registered on the
     * client's event loop with auto-read off and an empty pipeline.
     *
     * @param request the request
     * @return completes with the connected outbound channel
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
     *
     * @param request the request
     * @return completes with the exchange
     */
    Future<Exchange> exchange(ProxyRequest request);

    /**
     * Admits a BIND request (SOCKS BIND, RFC 1928 section 4) and waits for one inbound connection:
     * authenticates unless already done, resolves the expected peer (the request's target; an
     * unspecified address such as {@code 0.0.0.0} means any peer), evaluates the access rules
     * against it as {@link #connect} does for a target, takes the user's session slot, then
     * listens on the address the client reached the proxy on ({@link #listener()}), port 0.
     *
     * <p>{@code listening} is called once with the listening socket's address when it is bound
     * (the frontend's first reply). The future then completes with the peer's connection, set up
     * like a {@link #connect} channel (client's event loop, auto-read off, empty pipeline), ready
     * for {@link #relay}. While waiting, a connection from any other host than the expected one,
     * or one the rules deny when any peer was allowed, is closed at once and counted through
     * {@code MetricsSink.rejected}; the wait goes on. When no acceptable peer connects within the
     * connect timeout, the future fails with {@link Outcome#CONNECT_TIMEOUT}. Refusals before
     * {@code listening} is called fail the future as {@link #connect} does. The listening socket
     * is closed once the future completes, and when the client connection closes.
     *
     * @param request the request; its target is the expected peer
     * @param listening told the listening address, for the first reply
     * @return completes with the peer's channel
     */
    default Future<Channel> bind(ProxyRequest request, java.util.function.Consumer<InetSocketAddress> listening) {
        throw new UnsupportedOperationException("bind: not supported by " + getClass().getName());
    }

    /**
     * Admits a UDP ASSOCIATE request (RFC 1928 section 7) and opens its relay socket: one UDP
     * socket, bound to the address the client reached the proxy on ({@link #listener()}, never the
     * wildcard), port 0. The future completes with that socket's address, for the frontend's
     * reply; the frontend then removes its handlers and leaves the client connection to core as
     * the association's control connection.
     *
     * <p>Only datagrams from the client's IP address are relayed (and only from the port the
     * request names, when it is not 0; otherwise from the port of the client's first datagram).
     * Each is decoded with {@code codec}, its destination resolved, checked against the access
     * rules and shaped by the user's bandwidth limits, exactly as a {@link #connect} target would
     * be; replies from destinations the client sent to are wrapped with {@code codec} and sent to
     * the client. Anything else is dropped, never answered, and counted through
     * {@code MetricsSink.rejected}. Payload bytes (headers excluded) are the session's bytes up and
     * down. The association ends, and its socket closes, when the control connection closes, half
     * closes or idles out (no datagram either way for the idle timeout), or at the maximum session
     * length. Bytes the client sends on the control connection are discarded.
     *
     * @param request the request
     * @param codec decodes and encodes the datagrams' headers
     * @return completes with the relay socket's address
     */
    default Future<InetSocketAddress> associate(ProxyRequest request, DatagramCodec codec) {
        throw new UnsupportedOperationException("associate: not supported by " + getClass().getName());
    }

    /**
     * Relays bytes between the client and {@code outbound} until both sides are done: adds the
     * relay handlers at the end of both pipelines and turns reading on. Call it after writing the
     * success reply; then remove the frontend's own handlers (bytes they still hold flow on into
     * the relay).
     *
     * @param outbound the connected outbound channel
     */
    void relay(Channel outbound);

    /**
     * Records why the handshake failed, for the session summary and metrics, before the frontend
     * sends its error reply and closes. The first outcome recorded wins. A frontend records
     * {@link Outcome#AUTH_FAILED} here only when the client offered no credentials the proxy can
     * check (a failed {@link #authenticate} is recorded already): core counts it through
     * {@code MetricsSink.authFailed} with reason {@code no_credentials}, as a login without
     * credentials is counted.
     *
     * @param outcome why the handshake failed
     */
    void fail(Outcome outcome);

    /**
     * Reports a request the frontend refused for its credentials without asking core, on a
     * connection that may go on to carry other requests: an HTTP request without credentials
     * (answered with the 407 challenge) or with credentials that cannot be decoded. The request
     * becomes a session summary of its own, like a refused {@link #exchange}: outcome
     * {@link Outcome#AUTH_FAILED}, the request's command and target, {@code reason} as its rule;
     * and it is counted through {@code MetricsSink.authFailed} with {@code reason}, as a failed
     * login is. The connection itself then reports no summary unless it fails itself.
     *
     * @param request the request the login was for
     * @param reason  short and bounded ({@code no_credentials}), never a user name or secret
     */
    void loginRefused(ProxyRequest request, String reason);
}

/**
 * The HTTP/1.1 forward proxy and {@code CONNECT} frontend. Host applications use
 * {@link dev.sallyport.http.HttpOptions} to change its limits; {@link dev.sallyport.http.HttpFrontend}
 * is found by core through {@link java.util.ServiceLoader}. Everything else is package-private.
 *
 * <p>The path of a client connection: Netty's {@code HttpServerCodec}, then {@code ClientHandler},
 * which takes requests one at a time. {@code Requests} decides, as plain functions, what a request
 * head becomes (admit, refuse, or answer as the final recipient) and rewrites a forwarded head for
 * the origin; {@code Replies} builds the proxy's own responses. An admitted request is carried by
 * a {@code Forward} on the outbound channel, which reports back only through {@code ClientSide}.
 * A {@code CONNECT} swaps {@code ClientHandler} for a {@code ConnectTunnel}, which hands the
 * connection to core's relay.
 */
package dev.sallyport.http;

/**
 * The service provider interfaces of Sallyport and the small immutable values they exchange.
 *
 * <p>{@link dev.sallyport.api.AuthBackend}, {@link dev.sallyport.api.UserStore},
 * {@link dev.sallyport.api.AccessRule}, {@link dev.sallyport.api.MetricsSink} and
 * {@link dev.sallyport.api.ConnectionPool} are the extension points; each has a default in core.
 * Providers ({@link dev.sallyport.api.NamedProvider}) are found with
 * {@link java.util.ServiceLoader} and used only when configuration names them.
 *
 * <h2>One async rule</h2>
 * What a host application implements or calls, and that may have to wait, returns a JDK
 * {@link java.util.concurrent.CompletionStage}: {@code AuthBackend.authenticate}, every
 * {@code UserStore} method, and in core {@code Resolver.resolve} and {@code ProxyManager.explain}.
 * Such a method never blocks its caller (in-memory work returns a completed stage); the stage may
 * complete on any thread, and core resumes on the connection's own event loop. Hooks that must
 * not wait ({@code AccessRule}, {@code MetricsSink}) are plain synchronous calls. Netty types
 * appear only where an SPI hands over a channel: {@link dev.sallyport.api.ConnectionPool} and its
 * {@code Dialer} return Netty's {@code Future<Channel>}, on the event loop they are given. The
 * protocol modules' plug into core ({@code dev.sallyport.core.spi}) is Netty-typed throughout;
 * host applications do not use it.
 */
package dev.sallyport.api;

/**
 * What a host application uses to run proxies: {@link dev.sallyport.core.ProxyManager} and its
 * builder, the built-in {@link dev.sallyport.core.AccessRules} and
 * {@link dev.sallyport.core.ConnectionPools}, the {@link dev.sallyport.core.Resolver} and
 * {@link dev.sallyport.core.Ticker} it can replace, and {@link dev.sallyport.core.ProtocolOptions}
 * for settings owned by a protocol module. Everything else in core is implementation
 * ({@code dev.sallyport.core.internal}) or the protocol modules' plug
 * ({@code dev.sallyport.core.spi}).
 *
 * <p>Asynchronous results follow the rule of {@code dev.sallyport.api}: what a host implements or
 * calls returns a JDK {@link java.util.concurrent.CompletionStage}
 * ({@link dev.sallyport.core.Resolver#resolve}, {@link dev.sallyport.core.ProxyManager#explain});
 * Netty types appear only where a connection pool hands over channels.
 */
package dev.sallyport.core;

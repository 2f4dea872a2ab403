/**
 * The service provider interfaces of Sallyport and the small immutable values they exchange.
 *
 * <p>{@link dev.sallyport.api.AuthBackend}, {@link dev.sallyport.api.UserStore},
 * {@link dev.sallyport.api.AccessRule}, {@link dev.sallyport.api.MetricsSink} and
 * {@link dev.sallyport.api.ConnectionPool} are the extension points; each has a default in core.
 * Providers ({@link dev.sallyport.api.NamedProvider}) are found with
 * {@link java.util.ServiceLoader} and used only when configuration names them.
 */
package dev.sallyport.api;

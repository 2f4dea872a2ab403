package dev.sallyport.api;

/**
 * A {@link NamedProvider} of {@link ConnectionPool} instances, registered in
 * {@code META-INF/services/dev.sallyport.api.ConnectionPoolProvider}. Used when configuration
 * names it: {@code ProxyManager.builder().connectionPool("name", settings)}, or the standalone
 * server's {@code pool-provider=name} with {@code pool.KEY=VALUE} settings.
 */
public interface ConnectionPoolProvider extends NamedProvider<ConnectionPool> {
}

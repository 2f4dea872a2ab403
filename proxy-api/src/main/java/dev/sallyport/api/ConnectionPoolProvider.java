package dev.sallyport.api;

/** A {@link NamedProvider} of {@link ConnectionPool} instances, registered in {@code META-INF/services}. */
public interface ConnectionPoolProvider extends NamedProvider<ConnectionPool> {
}

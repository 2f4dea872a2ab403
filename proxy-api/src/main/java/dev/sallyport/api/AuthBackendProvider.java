package dev.sallyport.api;

/**
 * A {@link NamedProvider} of {@link AuthBackend} instances, registered in
 * {@code META-INF/services/dev.sallyport.api.AuthBackendProvider}. Used when configuration names
 * it: {@code ProxyManager.builder().auth("name", settings)}, or the standalone server's
 * {@code auth-provider=name} with {@code auth.KEY=VALUE} settings.
 */
public interface AuthBackendProvider extends NamedProvider<AuthBackend> {
}

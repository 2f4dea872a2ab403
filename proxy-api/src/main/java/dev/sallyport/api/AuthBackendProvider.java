package dev.sallyport.api;

/** A {@link NamedProvider} of {@link AuthBackend} instances, registered in {@code META-INF/services}. */
public interface AuthBackendProvider extends NamedProvider<AuthBackend> {
}

package dev.sallyport.core;

/**
 * Settings that belong to one protocol module (for example {@code HttpOptions} in
 * {@code proxy-http}): an immutable value the module defines and validates, handed to
 * {@link ProxyManager.Builder#options(ProtocolOptions)} and read back by that module's frontend
 * through {@link dev.sallyport.core.spi.Session#options(Class)}. Core only carries it.
 */
public interface ProtocolOptions {
}

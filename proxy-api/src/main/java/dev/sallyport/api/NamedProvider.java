package dev.sallyport.api;

import java.util.Map;

/**
 * A named factory found with {@link java.util.ServiceLoader}, the way JDBC finds drivers. Being
 * on the class path activates nothing: a provider is used only when configuration names it.
 *
 * @param <T> what the provider builds
 */
public interface NamedProvider<T> {

    /**
     * The name configuration uses to pick this provider, e.g. {@code jdbc}; lowercase.
     *
     * @return the provider's name
     */
    String name();

    /**
     * Breaks ties between providers of the same name: higher wins, then the class name.
     *
     * @return the priority; 0 by default
     */
    default int priority() {
        return 0;
    }

    /**
     * Builds an instance from settings. Throws {@link IllegalArgumentException} naming the
     * provider and the setting to fix when one is missing or wrong. The instance belongs to the
     * proxy that asked for it: when it is {@link AutoCloseable}, the proxy closes it when it
     * closes, or when its start fails.
     *
     * @param settings the settings, by key
     * @return the new instance
     */
    T create(Map<String, String> settings);
}

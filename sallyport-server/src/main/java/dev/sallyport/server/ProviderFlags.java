package dev.sallyport.server;

import dev.sallyport.api.AccessRuleProvider;
import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.ConnectionPoolProvider;
import dev.sallyport.api.MetricsSinkProvider;
import dev.sallyport.api.NamedProvider;
import dev.sallyport.core.ProxyManager;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The flags of {@code serve} that take an auth backend, an access rule, a metrics sink and a
 * connection pool from a provider on the class path, found with {@link ServiceLoader} by name, as
 * the builder's {@code auth(String, Map)}, {@code accessRule(String, Map)},
 * {@code metrics(String, Map)} and {@code connectionPool(String, Map)} do:
 * {@code --auth-provider NAME} with repeatable {@code --auth-setting KEY=VALUE}, and likewise
 * {@code rule}, {@code metrics} and {@code pool}. In a {@code --config} file they are
 * {@code auth-provider=NAME} and {@code auth.KEY=VALUE} lines ({@link ConfigFile}).
 *
 * <p>One provider of each kind. The named auth backend comes after {@code --jdbc-url}'s store;
 * the named rule after the rules of the policy flags; the named pool replaces the default one.
 */
final class ProviderFlags {

    /** The kinds, as flag prefixes; also the prefixes of their settings in a config file ({@code auth.KEY}). */
    static final List<String> KINDS = List.of("auth", "rule", "metrics", "pool");

    @Option(names = "--auth-provider", paramLabel = "NAME",
            description = "Authenticate with the AuthBackendProvider called NAME (after --jdbc-url's store, if any).")
    String authProvider;

    @Option(names = "--auth-setting", paramLabel = "KEY=VALUE", description = "A setting of --auth-provider (repeatable).")
    Map<String, String> authSettings = new LinkedHashMap<>();

    @Option(names = "--rule-provider", paramLabel = "NAME",
            description = "Add the access rule of the AccessRuleProvider called NAME (after the policy flags' rules).")
    String ruleProvider;

    @Option(names = "--rule-setting", paramLabel = "KEY=VALUE", description = "A setting of --rule-provider (repeatable).")
    Map<String, String> ruleSettings = new LinkedHashMap<>();

    @Option(names = "--metrics-provider", paramLabel = "NAME",
            description = "Add the metrics sink of the MetricsSinkProvider called NAME.")
    String metricsProvider;

    @Option(names = "--metrics-setting", paramLabel = "KEY=VALUE",
            description = "A setting of --metrics-provider (repeatable).")
    Map<String, String> metricsSettings = new LinkedHashMap<>();

    @Option(names = "--pool-provider", paramLabel = "NAME",
            description = "Dial targets through the ConnectionPool of the ConnectionPoolProvider called NAME.")
    String poolProvider;

    @Option(names = "--pool-setting", paramLabel = "KEY=VALUE", description = "A setting of --pool-provider (repeatable).")
    Map<String, String> poolSettings = new LinkedHashMap<>();

    /** What one kind needs: its flags' values, the provider type and the builder method. */
    private record Named(String kind, String provider, Map<String, String> settings,
                         Class<? extends NamedProvider<?>> type, Setter setter) {
    }

    @FunctionalInterface
    private interface Setter {
        void set(ProxyManager.Builder builder, String provider, Map<String, String> settings);
    }

    private List<Named> named() {
        return List.of(
                new Named("auth", authProvider, authSettings, AuthBackendProvider.class, ProxyManager.Builder::auth),
                new Named("rule", ruleProvider, ruleSettings, AccessRuleProvider.class, ProxyManager.Builder::accessRule),
                new Named("metrics", metricsProvider, metricsSettings, MetricsSinkProvider.class,
                        ProxyManager.Builder::metrics),
                new Named("pool", poolProvider, poolSettings, ConnectionPoolProvider.class,
                        ProxyManager.Builder::connectionPool));
    }

    /** Whether a provider authenticates clients: authentication is on. */
    boolean authenticates() {
        return authProvider != null;
    }

    /**
     * Hands every named provider to {@code builder}. A setting without its provider, a name no
     * provider on the class path has, or an auth provider with in-memory users is a usage error
     * naming the flag; the provider itself checks its settings when the proxy starts.
     */
    void apply(ProxyManager.Builder builder, boolean withUsers, Function<String, RuntimeException> usage) {
        if (withUsers && authProvider != null) {
            throw usage.apply("--auth-provider: cannot be combined with --user (expected: create the users in the "
                    + "provider's store, or drop --auth-provider)");
        }
        for (Named named : named()) {
            String flag = "--" + named.kind() + "-provider";
            if (named.provider() == null) {
                if (!named.settings().isEmpty()) {
                    throw usage.apply("--" + named.kind() + "-setting: needs " + flag + " NAME");
                }
                continue;
            }
            Set<String> found = names(named.type());
            if (found != null && !found.contains(named.provider())) {
                throw usage.apply(flag + ": no provider named '" + named.provider() + "' on the class path (expected one of: "
                        + found + ")");
            }
            try {
                named.setter().set(builder, named.provider(), named.settings());
            } catch (IllegalArgumentException e) {
                throw usage.apply(flag + ": " + e.getMessage());
            }
        }
    }

    /** Adds the named providers and the names of their settings (never their values) to {@code settings}. */
    void describe(Map<String, Object> settings) {
        for (Named named : named()) {
            if (named.provider() != null) {
                settings.put(named.kind() + "-provider", named.provider());
                if (!named.settings().isEmpty()) {
                    settings.put(named.kind() + "-settings", new TreeSet<>(named.settings().keySet()));
                }
            }
        }
    }

    /**
     * The names of the providers of {@code type} that core will see, or null when the class path
     * holds a broken registration: then core's own discovery reports it at start.
     */
    private static Set<String> names(Class<? extends NamedProvider<?>> type) {
        Set<String> names = new TreeSet<>();
        try {
            for (NamedProvider<?> provider : ServiceLoader.load(type, ProxyManager.class.getClassLoader())) {
                names.add(provider.name());
            }
        } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
            return null;
        }
        return names;
    }
}

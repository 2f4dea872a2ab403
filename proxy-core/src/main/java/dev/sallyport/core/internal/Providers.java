package dev.sallyport.core.internal;

import dev.sallyport.api.NamedProvider;
import dev.sallyport.core.spi.Frontend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * ServiceLoader discovery that survives a broken provider: it is logged and skipped, and only
 * fails {@code start()} when configuration asked for it by name.
 */
public final class Providers {

    private static final Logger log = LoggerFactory.getLogger(Providers.class);

    /** Which artifact brings which listener, for the "missing module" message. */
    private static final Map<String, String> FRONTEND_ARTIFACTS = Map.of(
            "socks5", "dev.sallyport:proxy-socks5",
            "http", "dev.sallyport:proxy-http");

    private Providers() {
    }

    /**
     * The frontends serving listener {@code name}: every frontend for {@code mixed}; SOCKS5 and,
     * when present, SOCKS4 for {@code socks5}; otherwise the frontend of that name. Core routes
     * each connection of a listener with several frontends on its first bytes.
     */
    static List<Frontend> frontends(String name, ClassLoader loader) {
        List<Frontend> found = load(Frontend.class, loader);
        if (name.equals("mixed")) {
            if (found.isEmpty()) {
                throw new IllegalStateException("mixed: no protocol module on the class path (expected: add "
                        + "dev.sallyport:proxy-socks5 and/or dev.sallyport:proxy-http)");
            }
            // SOCKS5 first: it answers whatever nobody claims; then the others by name.
            List<Frontend> ordered = new ArrayList<>(found);
            ordered.sort(Comparator.comparing((Frontend f) -> !f.name().equals("socks5")).thenComparing(Frontend::name));
            return List.copyOf(ordered);
        }
        List<Frontend> result = new ArrayList<>();
        result.add(frontend(name, found));
        if (name.equals("socks5")) {
            found.stream().filter(f -> f.name().equals("socks4")).findFirst().ifPresent(result::add);
        }
        return List.copyOf(result);
    }

    private static Frontend frontend(String name, List<Frontend> found) {
        for (Frontend frontend : found) {
            if (frontend.name().equals(name)) {
                return frontend;
            }
        }
        String artifact = FRONTEND_ARTIFACTS.get(name);
        throw new IllegalStateException(name + ": no protocol module serves this listener (expected: add the dependency "
                + (artifact == null ? "that provides '" + name + "'" : artifact) + " to the class path; found: "
                + names(found) + ")");
    }

    /** The provider of {@code type} called {@code name}: highest priority, then class name. */
    static <T, P extends NamedProvider<T>> T create(Class<P> type, String kind, String name, Map<String, String> settings,
                                                    ClassLoader loader) {
        List<P> found = load(type, loader);
        P chosen = found.stream()
                .filter(p -> p.name().equals(name))
                .min(Comparator.comparingInt((P p) -> -p.priority()).thenComparing(p -> p.getClass().getName()))
                .orElseThrow(() -> new IllegalStateException(kind + ": no provider named '" + name
                        + "' (expected one of: " + names(found) + "; add the module that provides it)"));
        T instance = chosen.create(settings);
        if (instance == null) {
            throw new IllegalStateException(kind + ": provider '" + name + "' (" + chosen.getClass().getName()
                    + ") returned null");
        }
        log.info("{}: using provider '{}' ({})", kind, name, chosen.getClass().getName());
        return instance;
    }

    /**
     * The instance {@code ref} names; when it is {@link AutoCloseable} it is also added to
     * {@code owned}: core closes what providers built, never what the host passed in.
     */
    public static <T, P extends NamedProvider<T>> T createOwned(Class<P> type, Config.ProviderRef ref, ClassLoader loader,
                                                         List<AutoCloseable> owned) {
        T instance = create(type, ref.kind(), ref.name(), ref.settings(), loader);
        if (instance instanceof AutoCloseable closeable) {
            owned.add(closeable);
        }
        return instance;
    }

    private static <S> List<S> load(Class<S> type, ClassLoader loader) {
        List<S> result = new ArrayList<>();
        for (ServiceLoader.Provider<S> provider : iterate(ServiceLoader.load(type, loader))) {
            try {
                result.add(provider.get());
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                log.warn("Skipping {} provider {}: {}", type.getSimpleName(), provider.type().getName(), e.toString());
            }
        }
        return result;
    }

    private static <S> List<ServiceLoader.Provider<S>> iterate(ServiceLoader<S> loader) {
        List<ServiceLoader.Provider<S>> providers = new ArrayList<>();
        var iterator = loader.stream().iterator();
        while (true) {
            try {
                if (!iterator.hasNext()) {
                    return providers;
                }
                providers.add(iterator.next());
            } catch (ServiceConfigurationError e) {
                log.warn("Skipping a broken provider: {}", e.toString());
            }
        }
    }

    private static String names(List<?> providers) {
        TreeSet<String> names = new TreeSet<>();
        for (Object provider : providers) {
            names.add(provider instanceof Frontend f ? f.name() : ((NamedProvider<?>) provider).name());
        }
        return names.toString();
    }
}

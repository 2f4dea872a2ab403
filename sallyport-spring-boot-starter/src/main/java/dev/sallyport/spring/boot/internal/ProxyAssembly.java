package dev.sallyport.spring.boot.internal;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.SessionListener;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.spring.boot.SallyportBuilderCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Builds the proxy from the properties and the beans of the context, when the context starts
 * (every bean exists by then): properties first, then {@link AuthBackend}, {@link AccessRule},
 * {@link MetricsSink} and {@link SessionListener} beans in {@code @Order} order (rules from
 * properties come before rule beans), the first {@link ConnectionPool} bean in that order, and
 * last the {@link SallyportBuilderCustomizer}s.
 */
public final class ProxyAssembly implements Supplier<ProxyManager> {

    /** The builder's own default, used when neither Sallyport nor Spring names one. */
    private static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);
    private static final String PHASE_TIMEOUT = "spring.lifecycle.timeout-per-shutdown-phase";
    private static final Logger log = LoggerFactory.getLogger(ProxyAssembly.class);

    private final SallyportProperties properties;
    private final ObjectProvider<AuthBackend> backends;
    private final ObjectProvider<AccessRule> rules;
    private final ObjectProvider<MetricsSink> sinks;
    private final ObjectProvider<SessionListener> listeners;
    private final ObjectProvider<ConnectionPool> pools;
    private final ObjectProvider<SallyportBuilderCustomizer> customizers;

    /**
     * @param properties  the bound properties
     * @param backends    auth backends, in order
     * @param rules       access rules, in order
     * @param sinks       metrics sinks, in order
     * @param listeners   session listeners, in order
     * @param pools       connection pools; the first in order is used
     * @param customizers customizers, in order
     */
    public ProxyAssembly(SallyportProperties properties, ObjectProvider<AuthBackend> backends,
                         ObjectProvider<AccessRule> rules, ObjectProvider<MetricsSink> sinks,
                         ObjectProvider<SessionListener> listeners, ObjectProvider<ConnectionPool> pools,
                         ObjectProvider<SallyportBuilderCustomizer> customizers) {
        this.properties = properties;
        this.backends = backends;
        this.rules = rules;
        this.sinks = sinks;
        this.listeners = listeners;
        this.pools = pools;
        this.customizers = customizers;
    }

    @Override
    public ProxyManager get() {
        ProxyManager.Builder builder = ProxyManager.builder();
        SallyportSettings.apply(properties, builder);
        backends.orderedStream().forEach(builder::auth);
        rules.orderedStream().forEach(builder::accessRule);
        sinks.orderedStream().forEach(builder::metrics);
        listeners.orderedStream().forEach(builder::events);
        List<ConnectionPool> candidates = pools.orderedStream().toList();
        if (!candidates.isEmpty()) {
            builder.connectionPool(candidates.get(0));
            if (candidates.size() > 1) {
                log.warn("sallyport: {} ConnectionPool beans; using the first in @Order order, {}", candidates.size(),
                        candidates.get(0));
            }
        }
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.start();
    }

    /**
     * {@code sallyport.drain-timeout}, else {@code spring.lifecycle.timeout-per-shutdown-phase},
     * else 30 s (Spring's default phase timeout). A drain longer than the phase timeout is logged:
     * the context would not wait for it.
     *
     * @param properties  the bound properties
     * @param environment the context's environment
     * @return the drain timeout
     */
    public static Duration drainTimeout(SallyportProperties properties, Environment environment) {
        Duration phase = Binder.get(environment).bind(PHASE_TIMEOUT, Duration.class).orElse(null);
        Duration drain = properties.getDrainTimeout();
        if (drain == null) {
            return phase == null ? DEFAULT_DRAIN : phase;
        }
        if (drain.compareTo(phase == null ? DEFAULT_DRAIN : phase) > 0) {
            // Spring stops waiting after the phase timeout and destroys the beans the drain may still use.
            log.warn("sallyport.drain-timeout {} is longer than {} {}: shutdown may close the database and "
                    + "the registry before the proxy drained", drain, PHASE_TIMEOUT, phase == null ? DEFAULT_DRAIN : phase);
        }
        return drain;
    }
}

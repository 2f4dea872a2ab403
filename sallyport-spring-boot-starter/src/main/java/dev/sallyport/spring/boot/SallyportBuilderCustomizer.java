package dev.sallyport.spring.boot;

import dev.sallyport.core.ProxyManager;

/**
 * A bean that adjusts the proxy's builder before it starts, for what the {@code sallyport.*}
 * properties do not cover (a {@code Resolver}, protocol options, a {@code SessionListener} that
 * needs wiring of its own). Customizers run in {@code @Order} order, after the properties and the
 * {@code AuthBackend}, {@code AccessRule}, {@code MetricsSink} and {@code ConnectionPool} beans
 * were applied.
 *
 * <pre>{@code
 * @Bean
 * SallyportBuilderCustomizer timeouts() {
 *     return builder -> builder.connectTimeout(Duration.ofSeconds(3));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface SallyportBuilderCustomizer {

    /**
     * Adjusts {@code builder}; called once, on the thread that starts the application context.
     *
     * @param builder the builder, already configured from the properties and beans
     */
    void customize(ProxyManager.Builder builder);
}

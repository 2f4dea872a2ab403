package dev.sallyport.spring.boot.internal;

import dev.sallyport.core.micrometer.MicrometerMetricsSink;
import dev.sallyport.spring.boot.SallyportBuilderCustomizer;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Sallyport's meters ({@code proxy.*}, tagged {@code proxy=sallyport.metrics.name}) in the
 * application's {@link MeterRegistry}. The registry is looked up when the proxy starts, after
 * every bean exists, so the order of auto-configurations does not matter.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnProperty(prefix = "sallyport.metrics", name = "enabled", havingValue = "true", matchIfMissing = true)
public class MicrometerConfiguration {

    /**
     * Adds a {@link MicrometerMetricsSink} on the application's registry, when there is one.
     *
     * @param registries the application's registry
     * @param properties the bound properties
     * @return the customizer
     */
    @Bean
    public SallyportBuilderCustomizer sallyportMicrometer(ObjectProvider<MeterRegistry> registries,
                                                          SallyportProperties properties) {
        return builder -> {
            MeterRegistry registry = registries.getIfUnique();
            if (registry != null) {
                builder.metrics(new MicrometerMetricsSink(registry, properties.getMetrics().getName()));
            }
        };
    }
}

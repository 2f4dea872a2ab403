package dev.sallyport.spring.boot;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.SessionListener;
import dev.sallyport.spring.boot.internal.JdbcConfiguration;
import dev.sallyport.spring.boot.internal.MicrometerConfiguration;
import dev.sallyport.spring.boot.internal.ProxyAssembly;
import dev.sallyport.spring.boot.internal.SallyportProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of a Sallyport proxy from the {@code sallyport.*} properties: a
 * {@link SallyportProxy} that starts with the context and drains on its shutdown. The
 * application's {@code AuthBackend}, {@code AccessRule}, {@code MetricsSink},
 * {@code SessionListener} and {@code ConnectionPool} beans are used in {@code @Order} order;
 * {@link SallyportBuilderCustomizer} beans adjust the builder last. With Micrometer on the class
 * path the application's {@code MeterRegistry} gets the proxy's meters; with
 * {@code sallyport.jdbc.enabled=true} users, access log and usage live in the application's
 * {@code DataSource}. Off with {@code sallyport.enabled=false}.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnProperty(prefix = "sallyport", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(SallyportProperties.class)
@Import({JdbcConfiguration.class, MicrometerConfiguration.class})
public class SallyportAutoConfiguration {

    /** Created by Spring. */
    public SallyportAutoConfiguration() {
    }

    /**
     * The proxy, built from the properties and the beans when the context starts.
     *
     * @param properties  the bound {@code sallyport.*} properties
     * @param environment the context's environment (for the shutdown phase's timeout)
     * @param backends    auth backends
     * @param rules       access rules
     * @param sinks       metrics sinks
     * @param listeners   session listeners
     * @param pools       connection pools
     * @param customizers builder customizers
     * @return the proxy's lifecycle
     */
    @Bean
    @ConditionalOnMissingBean
    SallyportProxy sallyportProxy(SallyportProperties properties, Environment environment,
                                         ObjectProvider<AuthBackend> backends, ObjectProvider<AccessRule> rules,
                                         ObjectProvider<MetricsSink> sinks, ObjectProvider<SessionListener> listeners,
                                         ObjectProvider<ConnectionPool> pools,
                                         ObjectProvider<SallyportBuilderCustomizer> customizers) {
        return new SallyportProxy(new ProxyAssembly(properties, backends, rules, sinks, listeners, pools, customizers),
                ProxyAssembly.drainTimeout(properties, environment));
    }
}

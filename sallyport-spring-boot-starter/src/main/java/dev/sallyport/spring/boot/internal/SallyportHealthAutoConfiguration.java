package dev.sallyport.spring.boot.internal;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.spring.boot.SallyportAutoConfiguration;
import dev.sallyport.spring.boot.SallyportProxy;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.util.ClassUtils;

import java.util.List;

/**
 * The health indicator {@code sallyport} ({@link SallyportHealthIndicator}), when Spring Boot's
 * health support is on the class path; {@code management.health.sallyport.enabled=false} turns
 * it off.
 */
@AutoConfiguration(after = SallyportAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(SallyportProxy.class)
@ConditionalOnEnabledHealthIndicator("sallyport")
public class SallyportHealthAutoConfiguration {

    private static final boolean JDBC = ClassUtils.isPresent("dev.sallyport.auth.jdbc.JdbcStore",
            SallyportHealthAutoConfiguration.class.getClassLoader());

    /**
     * The indicator.
     *
     * @param proxy    the proxy
     * @param backends the auth backends, to ping those that can be pinged
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "sallyportHealthIndicator")
    public SallyportHealthIndicator sallyportHealthIndicator(SallyportProxy proxy, ObjectProvider<AuthBackend> backends) {
        return new SallyportHealthIndicator(proxy, () -> JDBC ? JdbcProbes.of(backends.orderedStream().toList()) : List.of());
    }
}

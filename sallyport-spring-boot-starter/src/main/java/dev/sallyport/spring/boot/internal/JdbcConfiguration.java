package dev.sallyport.spring.boot.internal;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.auth.jdbc.JdbcStore;
import dev.sallyport.spring.boot.SallyportBuilderCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;

/**
 * {@code sallyport.jdbc.enabled=true}: a {@link JdbcStore} over the application's
 * {@link DataSource}, which is then an auth backend and the user store like any
 * {@code AuthBackend} bean; its accounting sink and fleet limits when asked for.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(JdbcStore.class)
@ConditionalOnProperty(prefix = "sallyport.jdbc", name = "enabled", havingValue = "true")
public class JdbcConfiguration {

    /**
     * The store; closed by the context after the proxy drained.
     *
     * @param dataSources the application's data source
     * @param properties  the bound properties
     * @return the store, its schema current
     */
    @Bean(destroyMethod = "close")
    public JdbcStore sallyportJdbcStore(ObjectProvider<DataSource> dataSources, SallyportProperties properties) {
        DataSource dataSource = dataSources.getIfUnique();
        if (dataSource == null) {
            throw new IllegalStateException("sallyport.jdbc.enabled: true (expected: one DataSource bean in the "
                    + "context, e.g. from spring.datasource.url)");
        }
        return JdbcStore.builder(dataSource).migrate(properties.getJdbc().isMigrate()).build();
    }

    /**
     * The access log and usage writer; closed by the store.
     *
     * @param store the store
     * @return its accounting sink
     */
    @Bean(destroyMethod = "")
    @ConditionalOnProperty(prefix = "sallyport.jdbc", name = "accounting", havingValue = "true", matchIfMissing = true)
    public MetricsSink sallyportJdbcAccounting(JdbcStore store) {
        return store.accounting();
    }

    /**
     * Per-user limits counted across the fleet.
     *
     * @param store the store
     * @return a customizer that sets the shared limits
     */
    @Bean
    @ConditionalOnProperty(prefix = "sallyport.jdbc", name = "fleet-limits", havingValue = "true")
    public SallyportBuilderCustomizer sallyportJdbcFleetLimits(JdbcStore store) {
        return builder -> builder.sharedLimits(store.fleetLimits());
    }
}

package dev.sallyport.api;

/**
 * A {@link NamedProvider} of {@link MetricsSink} instances, registered in
 * {@code META-INF/services/dev.sallyport.api.MetricsSinkProvider}. Used when configuration names
 * it: {@code ProxyManager.builder().metrics("name", settings)}, or the standalone server's
 * {@code metrics-provider=name} with {@code metrics.KEY=VALUE} settings.
 */
public interface MetricsSinkProvider extends NamedProvider<MetricsSink> {
}

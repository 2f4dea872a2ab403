package dev.sallyport.api;

/** A {@link NamedProvider} of {@link MetricsSink} instances, registered in {@code META-INF/services}. */
public interface MetricsSinkProvider extends NamedProvider<MetricsSink> {
}

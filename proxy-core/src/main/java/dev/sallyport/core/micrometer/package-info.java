/**
 * The optional Micrometer binding: {@link dev.sallyport.core.micrometer.MicrometerMetricsSink}
 * records the {@code proxy.*} meters on a host's {@code MeterRegistry}. Needs
 * {@code micrometer-core} on the class path; nothing else in core touches Micrometer.
 */
package dev.sallyport.core.micrometer;

package dev.sallyport.examples.embedding;

import dev.sallyport.core.micrometer.MicrometerMetricsSink;

import dev.sallyport.core.ProxyManager;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Publishing Sallyport's meters to the host application's Micrometer registry (Prometheus,
 * Datadog, JMX...), and its access log to the host's logging through SLF4J.
 *
 * <pre>{@code
 * ProxyManager proxy = MicrometerWiring.start(registry, 1080);
 * registry.get("proxy.sessions").counters();   // proxy.sessions{protocol,command,outcome}
 * }</pre>
 */
public final class MicrometerWiring {

    private MicrometerWiring() {
    }

    /** SOCKS5 on loopback with meters in {@code registry} and the {@code sallyport.access} log on. */
    public static ProxyManager start(MeterRegistry registry, int port) {
        return ProxyManager.builder()
                .socks5(port)
                .metrics(new MicrometerMetricsSink(registry))
                .accessLog(true)
                .start();
    }
}

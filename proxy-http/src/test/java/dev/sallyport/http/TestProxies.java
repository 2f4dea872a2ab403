package dev.sallyport.http;

import dev.sallyport.core.ConnectionPools;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.SallyportExtension;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The proxy of the HTTP end-to-end tests, for a {@code @RegisterExtension} field. */
final class TestProxies {

    private TestProxies() {
    }

    /**
     * An HTTP proxy that reuses origin connections as Sallyport does by default (the kit's proxy
     * dials every request anew), with {@code origin.test} and {@code echo.test} on loopback.
     */
    static SallyportExtension http() {
        return SallyportExtension.http()
                .connectionPool(ConnectionPools.pooled(8, Duration.ofSeconds(60)))
                .customize(b -> b.resolver(Resolver.fixed(Map.of(
                        "origin.test", List.of(InetAddress.getLoopbackAddress()),
                        "echo.test", List.of(InetAddress.getLoopbackAddress())))))
                .build();
    }
}

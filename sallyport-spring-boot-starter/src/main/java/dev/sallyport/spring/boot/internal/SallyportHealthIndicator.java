package dev.sallyport.spring.boot.internal;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.spring.boot.SallyportProxy;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The proxy's health, as the standalone server's readiness: UP while it serves, its I/O threads
 * answer ({@code ProxyManager.ping()}) and its auth backends that can be asked (a JDBC store)
 * answer; DOWN while it starts, drains or is stopped, or when one of those does not answer within
 * its timeout. Details: the state, the bound listeners and the open connections. Each check waits
 * at most {@link #TIMEOUT}, on the caller's thread, as Actuator indicators do.
 */
public final class SallyportHealthIndicator implements HealthIndicator {

    /** How long the I/O threads and each auth backend may take to answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final SallyportProxy proxy;
    private final Supplier<List<Supplier<CompletionStage<Boolean>>>> authProbes;

    /**
     * @param proxy      the proxy
     * @param authProbes the pings of the auth backends that have one, looked up per check
     */
    public SallyportHealthIndicator(SallyportProxy proxy, Supplier<List<Supplier<CompletionStage<Boolean>>>> authProbes) {
        this.proxy = proxy;
        this.authProbes = authProbes;
    }

    @Override
    public Health health() {
        if (proxy.isDraining()) {
            return Health.down().withDetail("state", "draining").build();
        }
        ProxyManager manager;
        Map<String, ?> addresses;
        try {
            manager = proxy.manager();
            addresses = manager.addresses();
        } catch (IllegalStateException e) {
            return Health.down().withDetail("state", "stopped").build();
        }
        Health.Builder health = Health.up().withDetail("state", "serving")
                .withDetail("listeners", addresses.entrySet().stream()
                        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString(),
                                (a, b) -> a, java.util.LinkedHashMap::new)))
                .withDetail("openConnections", manager.openConnections());
        if (!answers(() -> manager.ping().thenApply(ignored -> Boolean.TRUE))) {
            return health.down().withDetail("state", "I/O threads did not answer within " + TIMEOUT.toSeconds() + " s")
                    .build();
        }
        for (Supplier<CompletionStage<Boolean>> probe : authProbes.get()) {
            if (!answers(probe)) {
                return health.down().withDetail("state", "auth backend unavailable").build();
            }
        }
        return health.build();
    }

    private static boolean answers(Supplier<CompletionStage<Boolean>> ping) {
        try {
            return Boolean.TRUE.equals(ping.get().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return false;
        }
    }
}

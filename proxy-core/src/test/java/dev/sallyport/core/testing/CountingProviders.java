package dev.sallyport.core.testing;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.MetricsSinkProvider;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Providers named {@code counting} (registered in this module's test {@code META-INF/services})
 * whose instances each own a thread, like the JDBC backend's accounting thread, and count how
 * often they were built and closed.
 */
public final class CountingProviders {

    public static final AtomicInteger CREATED = new AtomicInteger();
    public static final AtomicInteger CLOSED = new AtomicInteger();

    private CountingProviders() {
    }

    /** Zeroes both counters. */
    public static void reset() {
        CREATED.set(0);
        CLOSED.set(0);
    }

    /** What every instance is: something that owns a thread until it is closed; every close counts. */
    private static class Instance implements AutoCloseable {
        private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "counting-provider"));

        Instance() {
            CREATED.incrementAndGet();
            thread.execute(() -> { });
        }

        @Override
        public void close() throws InterruptedException {
            CLOSED.incrementAndGet();
            thread.shutdown();
            thread.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static final class Backend extends Instance implements AuthBackend {
        @Override
        public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
            return CompletableFuture.completedFuture(AuthResult.notMine());
        }
    }

    private static final class Sink extends Instance implements MetricsSink {
    }

    /** {@code auth("counting", Map.of())}. */
    public static final class Auth implements AuthBackendProvider {
        @Override
        public String name() {
            return "counting";
        }

        @Override
        public AuthBackend create(Map<String, String> settings) {
            return new Backend();
        }
    }

    /** {@code metrics("counting", Map.of())}. */
    public static final class Metrics implements MetricsSinkProvider {
        @Override
        public String name() {
            return "counting";
        }

        @Override
        public MetricsSink create(Map<String, String> settings) {
            return new Sink();
        }
    }
}

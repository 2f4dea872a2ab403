package dev.sallyport.server;

import dev.sallyport.auth.jdbc.JdbcStore;
import dev.sallyport.core.ProxyManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** What {@code serve} shows on its metrics port besides core's meters, and the token that guards it. */
final class Monitoring {

    private Monitoring() {
    }

    /** The server's own gauges: listeners (0 once draining), pending bytes, the accounting buffer. */
    static void registerGauges(PrometheusMeterRegistry registry, ProxyManager proxy, JdbcStore store,
                               BooleanSupplier draining) {
        for (Map.Entry<String, java.net.InetSocketAddress> listener : proxy.addresses().entrySet()) {
            Gauge.builder("proxy.listener", () -> draining.getAsBoolean() ? 0 : 1).description("1 while the listener accepts")
                    .tag("protocol", listener.getKey()).tag("address", ServeCommand.format(listener.getValue()))
                    .register(registry);
        }
        Gauge.builder("proxy.buffer.pending", proxy, ProxyManager::pendingWriteBytes).baseUnit("bytes")
                .description("Bytes written to clients and not yet sent").register(registry);
        if (store != null) {
            Gauge.builder("proxy.accounting.buffered", store, JdbcStore::bufferedRecords)
                    .description("Accounting records waiting for PostgreSQL").register(registry);
            Gauge.builder("proxy.accounting.dropped", store, JdbcStore::droppedRecords)
                    .description("Accounting records dropped (buffer full or database refusing)").register(registry);
        }
    }

    /**
     * The bearer token in {@code file}: its text without surrounding white space (a trailing
     * newline is not part of it).
     *
     * @throws IllegalArgumentException when the file cannot be read or holds no token; the message never holds the token
     */
    static byte[] token(Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + " (" + e.getMessage() + ")", e);
        }
        if (token.isEmpty() || token.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(file + " (expected: one token, no white space inside)");
        }
        return token.getBytes(StandardCharsets.UTF_8);
    }
}

package dev.sallyport.server;

import dev.sallyport.auth.jdbc.JdbcStore;
import dev.sallyport.core.ProxyManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * What {@code serve} shows on its metrics port besides core's meters, the token that guards it,
 * and the instance name every meter carries.
 */
final class Monitoring {

    /**
     * The tag naming the instance on every meter, exported as the Prometheus label
     * {@code sallyport_instance}. Not {@code instance}: Prometheus gives every scraped series its own
     * {@code instance} label (the target's address) and renames a conflicting one to
     * {@code exported_instance}, or with {@code honor_labels} lets it overwrite the target's.
     */
    static final String INSTANCE_TAG = "sallyport.instance";
    static final String INSTANCE_RULE = "1-128 letters, digits, '.', '_', ':' or '-'";
    private static final Pattern INSTANCE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private Monitoring() {
    }

    static boolean validInstance(String name) {
        return INSTANCE.matcher(name).matches();
    }

    /**
     * {@code --instance}, or the host name: {@code $HOSTNAME} (set by Docker and Kubernetes to the
     * container's or pod's name), else the kernel's ({@code /proc/sys/kernel/hostname}), else the
     * JDK's, else {@code localhost}.
     */
    static String instance(String flag) {
        if (flag != null) {
            return flag;
        }
        String name = System.getenv("HOSTNAME");
        if (name == null || !validInstance(name.strip())) {
            try {
                name = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                name = jdkHostName();
            }
        }
        name = name.strip();
        return validInstance(name) ? name : "localhost";
    }

    private static String jdkHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The server's registry: every meter, core's included, tagged with the instance name. */
    static PrometheusMeterRegistry registry(String instance) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags(INSTANCE_TAG, instance);
        return registry;
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

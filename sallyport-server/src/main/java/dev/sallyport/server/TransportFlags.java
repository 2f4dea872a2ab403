package dev.sallyport.server;

import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code serve --transport auto|io_uring|epoll|nio} and {@code --io-threads N} (config keys
 * {@code transport}, {@code io-threads}): the I/O transport and its threads, checked and applied by
 * {@code ProxyProperties} like the other proxy keys; and
 * {@code --warm-up DURATION} (config key {@code warm-up}), the {@link WarmUp} before the listeners open.
 */
final class TransportFlags {

    @Option(names = "--transport", paramLabel = "NAME", description = "I/O transport: auto (default: io_uring, "
            + "else epoll, else nio, whichever runs here first), io_uring, epoll or nio.")
    String transport;

    @Option(names = "--io-threads", paramLabel = "N", description = "I/O threads (default: one per core). On a host "
            + "whose cores its clients or targets share, fewer can be faster: see README, Performance.")
    String ioThreads;

    @Option(names = "--warm-up", paramLabel = "DURATION", description = "Before the listeners open, run loopback "
            + "sessions through a private proxy for up to this long, so that the first clients find the session path "
            + "compiled, e.g. 10s (default: 0, none; at most 2m).")
    String warmUp;

    /** The warm-up's length, zero when none; a usage error names the flag. */
    Duration warmUp(Function<String, RuntimeException> usage) {
        if (warmUp == null) {
            return Duration.ZERO;
        }
        long millis = DatabaseFlags.millis("--warm-up", warmUp, usage);
        if (millis > 120_000) {
            throw usage.apply("--warm-up: '" + warmUp + "' (expected: at most 2m)");
        }
        return Duration.ofMillis(millis);
    }

    /** Adds the flags that were given to serve's effective-configuration line. */
    void describe(Map<String, Object> settings) {
        putInto(settings);
        if (warmUp != null) {
            settings.put("warm-up", warmUp);
        }
    }

    /** Puts the proxy's flags (not --warm-up, the server's own) under their keys when they were given. */
    void putInto(Map<? super String, ? super String> properties) {
        if (transport != null) {
            properties.put("transport", transport);
        }
        if (ioThreads != null) {
            properties.put("io-threads", ioThreads);
        }
    }
}

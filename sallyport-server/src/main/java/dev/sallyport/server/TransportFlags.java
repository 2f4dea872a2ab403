package dev.sallyport.server;

import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code serve --transport auto|io_uring|epoll|nio} (config key {@code transport}): the I/O
 * transport, checked and applied by {@code ProxyProperties} like the other proxy keys; and
 * {@code --warm-up DURATION} (config key {@code warm-up}), the {@link WarmUp} before the listeners open.
 */
final class TransportFlags {

    @Option(names = "--transport", paramLabel = "NAME", description = "I/O transport: auto (default: io_uring, "
            + "else epoll, else nio, whichever runs here first), io_uring, epoll or nio.")
    String transport;

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

    /** Puts the flag under its key when it was given. */
    void putInto(Map<? super String, ? super String> properties) {
        if (transport != null) {
            properties.put("transport", transport);
        }
    }
}

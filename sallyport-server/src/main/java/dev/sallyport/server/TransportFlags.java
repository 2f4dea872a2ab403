package dev.sallyport.server;

import picocli.CommandLine.Option;

import java.util.Map;

/**
 * {@code serve --transport auto|io_uring|epoll|nio} (config key {@code transport}): the I/O
 * transport, checked and applied by {@code ProxyProperties} like the other proxy keys.
 */
final class TransportFlags {

    @Option(names = "--transport", paramLabel = "NAME", description = "I/O transport: auto (default: io_uring, "
            + "else epoll, else nio, whichever runs here first), io_uring, epoll or nio.")
    String transport;

    /** Puts the flag under its key when it was given. */
    void putInto(Map<? super String, ? super String> properties) {
        if (transport != null) {
            properties.put("transport", transport);
        }
    }
}

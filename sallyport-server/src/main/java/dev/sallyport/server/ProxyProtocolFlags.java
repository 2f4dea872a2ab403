package dev.sallyport.server;

import picocli.CommandLine.Option;

import java.util.Map;

/**
 * The flags of {@code serve} for running behind L4 load balancers: which sources may send a PROXY
 * protocol header, whether they must, and the header sent to targets. They become the keys of the
 * same names in the properties the server starts from (see {@code ProxyProperties}).
 */
final class ProxyProtocolFlags {

    @Option(names = "--proxy-protocol", paramLabel = "CIDR[,CIDR...]", description = "Behind load balancers: every "
            + "listener reads a PROXY protocol v1/v2 header from these sources, whose client address then counts "
            + "for rules, caps, lockout and logs; a header from anywhere else is refused.")
    String trusted;

    @Option(names = "--proxy-protocol-mode", paramLabel = "MODE", description = "required (default: every connection "
            + "comes from a --proxy-protocol source with a header) or optional (direct clients too).")
    String mode;

    @Option(names = "--upstream-proxy-protocol", paramLabel = "VERSION",
            description = "v1 or v2: send a PROXY protocol header with the client's address to every target.")
    String upstream;

    /** Puts the flags that were given under their keys; nothing for a flag not given. */
    void putInto(Map<? super String, ? super String> properties) {
        put(properties, "proxy-protocol", trusted);
        put(properties, "proxy-protocol-mode", mode);
        put(properties, "upstream-proxy-protocol", upstream);
    }

    private static void put(Map<? super String, ? super String> properties, String key, String value) {
        if (value != null) {
            properties.put(key, value);
        }
    }
}

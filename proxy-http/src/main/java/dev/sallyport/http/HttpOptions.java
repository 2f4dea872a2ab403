package dev.sallyport.http;

import dev.sallyport.core.ProtocolOptions;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the HTTP frontend, passed to the builder:
 *
 * <pre>{@code
 * ProxyManager.builder().http(8080)
 *     .options(HttpOptions.defaults().maxHeaderSize(32 * 1024))
 *     .start();
 * }</pre>
 *
 * Immutable: every method returns a copy, and validates its argument at once.
 */
public final class HttpOptions implements ProtocolOptions {

    private static final HttpOptions DEFAULTS = new HttpOptions(HttpLimits.DEFAULTS);

    private final HttpLimits limits;

    private HttpOptions(HttpLimits limits) {
        this.limits = limits;
    }

    /** 8 KiB request line, 16 KiB request headers, 60 s for the origin to answer, 60 s keep-alive. */
    public static HttpOptions defaults() {
        return DEFAULTS;
    }

    /** Largest request header section accepted, in bytes; larger gets 431. Default 16384; at least 1024. */
    public HttpOptions maxHeaderSize(int bytes) {
        if (bytes < 1024) {
            throw new IllegalArgumentException("maxHeaderSize: " + bytes + " (expected: >= 1024 bytes)");
        }
        return new HttpOptions(limits.withMaxHeaderSize(bytes));
    }

    /** Longest request line accepted, in bytes; longer gets 414. Default 8192; at least 256. */
    public HttpOptions maxRequestLine(int bytes) {
        if (bytes < 256) {
            throw new IllegalArgumentException("maxRequestLine: " + bytes + " (expected: >= 256 bytes)");
        }
        return new HttpOptions(limits.withMaxRequestLine(bytes));
    }

    /** How long an origin has to start its response; then 504. Default 60 s; must be positive. */
    public HttpOptions responseTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "responseTimeout");
        return new HttpOptions(limits.withResponseTimeout(timeout));
    }

    HttpLimits limits() {
        return limits;
    }

    @Override
    public String toString() {
        return "HttpOptions" + limits;
    }
}

package dev.sallyport.http;

import dev.sallyport.core.ProtocolOptions;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits of the HTTP frontend, passed to the builder. Every length and time a client or an
 * origin controls is bounded here; a breach gets the status named below and a close.
 *
 * <pre>{@code
 * ProxyManager.builder().http(8080)
 *     .options(HttpOptions.defaults().maxHeaderSize(32 * 1024).keepAliveTimeout(Duration.ofSeconds(15)))
 *     .start();
 * }</pre>
 *
 * <p>Defaults: request line 8 KiB, request header section 16 KiB, response header section 64 KiB,
 * 60 s for the origin to start its response, 60 s keep-alive between requests. Bodies are streamed,
 * not buffered, so they have no size limit here.
 *
 * <p>Immutable: every method returns a copy and checks its argument at once, throwing
 * {@link IllegalArgumentException} ({@code name: value (expected: ...)}) for a bad value and
 * {@link NullPointerException} for a null one.
 */
public final class HttpOptions implements ProtocolOptions {

    /** How much of a body is decoded at once: a unit of streaming, not a limit (larger bodies come in pieces). */
    static final int MAX_CHUNK_SIZE = 64 * 1024;

    /** Timers longer than this are surely a mistake (and far longer ones overflow the scheduler). */
    private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

    private static final HttpOptions DEFAULTS = new HttpOptions(8 * 1024, 16 * 1024, 64 * 1024,
            Duration.ofSeconds(60), Duration.ofSeconds(60));

    private final int maxRequestLine;
    private final int maxHeaderSize;
    private final int maxResponseHeaderSize;
    private final Duration responseTimeout;
    private final Duration keepAliveTimeout;

    private HttpOptions(int maxRequestLine, int maxHeaderSize, int maxResponseHeaderSize, Duration responseTimeout,
                        Duration keepAliveTimeout) {
        this.maxRequestLine = maxRequestLine;
        this.maxHeaderSize = maxHeaderSize;
        this.maxResponseHeaderSize = maxResponseHeaderSize;
        this.responseTimeout = responseTimeout;
        this.keepAliveTimeout = keepAliveTimeout;
    }

    /**
     * The defaults listed in the class comment; also what the frontend uses when no options were set.
     *
     * @return the defaults
     */
    public static HttpOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Longest request line accepted, in bytes; longer gets 414. Default 8192; at least 256.
     *
     * @param bytes the limit
     * @return a copy with the limit replaced
     */
    public HttpOptions maxRequestLine(int bytes) {
        return new HttpOptions(atLeast("maxRequestLine", bytes, 256), maxHeaderSize, maxResponseHeaderSize,
                responseTimeout, keepAliveTimeout);
    }

    /**
     * Largest request header section accepted, in bytes; larger gets 431. Default 16384; at least 1024.
     *
     * @param bytes the limit
     * @return a copy with the limit replaced
     */
    public HttpOptions maxHeaderSize(int bytes) {
        return new HttpOptions(maxRequestLine, atLeast("maxHeaderSize", bytes, 1024), maxResponseHeaderSize,
                responseTimeout, keepAliveTimeout);
    }

    /**
     * Largest response header section accepted from an origin, in bytes; larger gets the client a
     * 502. Default 65536; at least 1024.
     *
     * @param bytes the limit
     * @return a copy with the limit replaced
     */
    public HttpOptions maxResponseHeaderSize(int bytes) {
        return new HttpOptions(maxRequestLine, maxHeaderSize, atLeast("maxResponseHeaderSize", bytes, 1024),
                responseTimeout, keepAliveTimeout);
    }

    /**
     * How long an origin has, once the request went out, to start its response; then the client
     * gets 504. Default 60 s; more than zero and at most one day.
     *
     * @param timeout the timeout
     * @return a copy with the timeout replaced
     */
    public HttpOptions responseTimeout(Duration timeout) {
        return new HttpOptions(maxRequestLine, maxHeaderSize, maxResponseHeaderSize,
                timeout("responseTimeout", timeout), keepAliveTimeout);
    }

    /**
     * How long a client connection may stay idle between two requests before the proxy closes it.
     * Default 60 s; more than zero and at most one day.
     *
     * @param timeout the timeout
     * @return a copy with the timeout replaced
     */
    public HttpOptions keepAliveTimeout(Duration timeout) {
        return new HttpOptions(maxRequestLine, maxHeaderSize, maxResponseHeaderSize, responseTimeout,
                timeout("keepAliveTimeout", timeout));
    }

    /**
     * Longest request line accepted, in bytes.
     *
     * @return the limit in bytes
     */
    public int maxRequestLine() {
        return maxRequestLine;
    }

    /**
     * Largest request header section accepted, in bytes.
     *
     * @return the limit in bytes
     */
    public int maxHeaderSize() {
        return maxHeaderSize;
    }

    /**
     * Largest response header section accepted from an origin, in bytes.
     *
     * @return the limit in bytes
     */
    public int maxResponseHeaderSize() {
        return maxResponseHeaderSize;
    }

    /**
     * How long an origin has to start its response.
     *
     * @return the timeout
     */
    public Duration responseTimeout() {
        return responseTimeout;
    }

    /**
     * How long a client connection may stay idle between requests.
     *
     * @return the timeout
     */
    public Duration keepAliveTimeout() {
        return keepAliveTimeout;
    }

    private static int atLeast(String name, int bytes, int min) {
        if (bytes < min) {
            throw new IllegalArgumentException(name + ": " + bytes + " (expected: >= " + min + " bytes)");
        }
        return bytes;
    }

    private static Duration timeout(String name, Duration timeout) {
        Objects.requireNonNull(timeout, name);
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException(name + ": " + timeout + " (expected: > 0 and <= " + MAX_TIMEOUT + ")");
        }
        return timeout;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HttpOptions other && maxRequestLine == other.maxRequestLine
                && maxHeaderSize == other.maxHeaderSize && maxResponseHeaderSize == other.maxResponseHeaderSize
                && responseTimeout.equals(other.responseTimeout) && keepAliveTimeout.equals(other.keepAliveTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxRequestLine, maxHeaderSize, maxResponseHeaderSize, responseTimeout, keepAliveTimeout);
    }

    @Override
    public String toString() {
        return "HttpOptions[maxRequestLine=" + maxRequestLine + ", maxHeaderSize=" + maxHeaderSize
                + ", maxResponseHeaderSize=" + maxResponseHeaderSize + ", responseTimeout=" + responseTimeout
                + ", keepAliveTimeout=" + keepAliveTimeout + "]";
    }
}

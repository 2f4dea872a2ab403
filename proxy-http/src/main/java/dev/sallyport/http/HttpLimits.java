package dev.sallyport.http;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits of one HTTP listener. Every length and time the client or the origin controls is
 * bounded here.
 *
 * @param maxRequestLine     longest request line accepted, in bytes; longer gets 414
 * @param maxHeaderSize      largest request header section, in bytes; larger gets 431
 * @param maxResponseHeaderSize largest origin response header section; larger gets 502
 * @param maxChunkSize       largest body piece decoded at once (bodies are streamed, not limited)
 * @param responseTimeout    time the origin has to start its response; then 504
 * @param keepAliveTimeout   an idle client connection between requests is closed after this
 */
record HttpLimits(int maxRequestLine, int maxHeaderSize, int maxResponseHeaderSize, int maxChunkSize,
                  Duration responseTimeout, Duration keepAliveTimeout) {

    /** 8 KiB request line, 16 KiB headers, 64 KiB response headers, 60 s to answer, 60 s keep-alive. */
    static final HttpLimits DEFAULTS = new HttpLimits(8 * 1024, 16 * 1024, 64 * 1024, 64 * 1024,
            Duration.ofSeconds(60), Duration.ofSeconds(60));

    HttpLimits {
        positive("maxRequestLine", maxRequestLine);
        positive("maxHeaderSize", maxHeaderSize);
        positive("maxResponseHeaderSize", maxResponseHeaderSize);
        positive("maxChunkSize", maxChunkSize);
        Objects.requireNonNull(responseTimeout, "responseTimeout");
        Objects.requireNonNull(keepAliveTimeout, "keepAliveTimeout");
        if (responseTimeout.isNegative() || responseTimeout.isZero()) {
            throw new IllegalArgumentException("responseTimeout: " + responseTimeout + " (expected: > 0)");
        }
        if (keepAliveTimeout.isNegative() || keepAliveTimeout.isZero()) {
            throw new IllegalArgumentException("keepAliveTimeout: " + keepAliveTimeout + " (expected: > 0)");
        }
    }

    HttpLimits withMaxHeaderSize(int size) {
        return new HttpLimits(maxRequestLine, size, maxResponseHeaderSize, maxChunkSize, responseTimeout, keepAliveTimeout);
    }

    HttpLimits withMaxRequestLine(int length) {
        return new HttpLimits(length, maxHeaderSize, maxResponseHeaderSize, maxChunkSize, responseTimeout, keepAliveTimeout);
    }

    HttpLimits withResponseTimeout(Duration timeout) {
        return new HttpLimits(maxRequestLine, maxHeaderSize, maxResponseHeaderSize, maxChunkSize, timeout, keepAliveTimeout);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }
}

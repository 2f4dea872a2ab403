package dev.sallyport.core.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks of the builder: each message names the setting and what it expects. */
public final class Checks {

    private Checks() {
    }

    public static int requireNotNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0, 0 for no limit)");
        }
        return value;
    }

    public static void requirePort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + ": port " + port + " (expected: 0-65535, 0 for any free port)");
        }
    }

    public static Duration requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        return value;
    }

    public static Duration requireNotNegative(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0, 0 for none)");
        }
        return value;
    }

    /** The version of the PROXY protocol header written to targets: 0 (off), 1 or 2. */
    public static int requireProxyProtocolVersion(String name, int version) {
        if (version < 0 || version > 2) {
            throw new IllegalArgumentException(name + ": " + version + " (expected: 1 or 2, 0 for off)");
        }
        return version;
    }

    /** Requires {@code file} to be a readable file (checked as it is configured, read at start). */
    public static void requireReadable(String name, java.nio.file.Path file) {
        Objects.requireNonNull(file, name);
        if (!java.nio.file.Files.isReadable(file)) {
            throw new IllegalArgumentException(name + ": " + file + " (expected: a readable PEM file)");
        }
    }
}

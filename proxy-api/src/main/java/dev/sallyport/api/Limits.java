package dev.sallyport.api;

/**
 * Per-user limits, carried by a {@link Principal} and enforced by core for every protocol.
 * Zero means "no limit" for every field.
 *
 * @param maxSessions           concurrent sessions of the user
 * @param sessionsPerSecond     new sessions per second (token bucket)
 * @param uploadBytesPerSecond   bytes per second from the user's clients to their targets
 * @param downloadBytesPerSecond bytes per second from the targets back to the user's clients
 */
public record Limits(int maxSessions, int sessionsPerSecond, long uploadBytesPerSecond,
                     long downloadBytesPerSecond) {

    /** No limits at all. */
    public static final Limits NONE = new Limits(0, 0, 0, 0);

    /**
     * Checks that no limit is negative.
     *
     * @param maxSessions concurrent sessions of the user
     * @param sessionsPerSecond new sessions per second (token bucket)
     * @param uploadBytesPerSecond bytes per second from the user's clients to their targets
     * @param downloadBytesPerSecond bytes per second from the targets back to the user's clients
     */
    public Limits {
        requireNotNegative("maxSessions", maxSessions);
        requireNotNegative("sessionsPerSecond", sessionsPerSecond);
        requireNotNegative("uploadBytesPerSecond", uploadBytesPerSecond);
        requireNotNegative("downloadBytesPerSecond", downloadBytesPerSecond);
    }

    /**
     * A copy with the concurrent-session limit replaced.
     *
     * @param value the maximum of concurrent sessions, 0 for no limit
     * @return the copy
     */
    public Limits withMaxSessions(int value) {
        return new Limits(value, sessionsPerSecond, uploadBytesPerSecond, downloadBytesPerSecond);
    }

    /**
     * A copy with the same bandwidth limit in both directions, in bytes per second.
     *
     * @param bytesPerSecond bytes per second each way, 0 for no limit
     * @return the copy
     */
    public Limits withBandwidth(long bytesPerSecond) {
        return new Limits(maxSessions, sessionsPerSecond, bytesPerSecond, bytesPerSecond);
    }

    private static void requireNotNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0, 0 for no limit)");
        }
    }
}

package dev.sallyport.core.spi;

/**
 * User events core fires down a client channel's pipeline. A frontend that wants to answer one
 * (for example with a protocol error reply) handles it and does not pass it on; otherwise core
 * closes the connection when the event reaches its own handler at the tail.
 */
public enum SessionEvent {
    /** The client did not complete its handshake within the handshake timeout. */
    HANDSHAKE_TIMEOUT,
    /**
     * The proxy is shutting down and waits for open connections to finish. A frontend whose
     * connection is idle between requests (an HTTP keep-alive connection) closes it now; one in
     * the middle of something lets it finish. When the event reaches core's handler, core closes
     * a connection that has not completed its handshake (outcome {@code SHUTDOWN}) and leaves
     * the others to finish.
     */
    DRAINING
}

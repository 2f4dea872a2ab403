package dev.sallyport.core.spi;

/**
 * User events core fires down a client channel's pipeline. A frontend that wants to answer one
 * (for example with a protocol error reply) handles it and does not pass it on; otherwise core
 * closes the connection when the event reaches its own handler at the tail.
 */
public enum SessionEvent {
    /** The client did not complete its handshake within the handshake timeout. */
    HANDSHAKE_TIMEOUT
}

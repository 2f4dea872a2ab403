package dev.sallyport.api;

/** How a session ended. Protocol modules map each to their own wire reply. */
public enum Outcome {
    /** The tunnel or request ran and was closed normally. */
    OK,
    /** The client's credentials were missing or wrong. */
    AUTH_FAILED,
    /**
     * No authentication backend could answer (for example its database is down): the login
     * failed closed. HTTP answers 503; SOCKS answers its general failure.
     */
    AUTH_UNAVAILABLE,
    /** An access rule denied the request. */
    DENIED,
    /** A limit (sessions, rate, connections) refused the request. */
    LIMITED,
    /** The target name could not be resolved. */
    DNS_FAILED,
    /** The target's network was unreachable. */
    NETWORK_UNREACHABLE,
    /** The target host was unreachable. */
    HOST_UNREACHABLE,
    /** The target refused the connection. */
    CONNECTION_REFUSED,
    /** The connection to the target did not complete in time. */
    CONNECT_TIMEOUT,
    /** The client asked for a command this proxy does not support. */
    UNSUPPORTED_COMMAND,
    /** The client used an address type this proxy does not support. */
    UNSUPPORTED_ADDRESS,
    /** The client sent bytes that break the protocol. */
    PROTOCOL_ERROR,
    /** The client did not finish its handshake in time. */
    HANDSHAKE_TIMEOUT,
    /** The client went away before it made a request. */
    CLIENT_CLOSED,
    /** The session was idle for too long. */
    IDLE_TIMEOUT,
    /** The session reached the maximum session length. */
    MAX_DURATION,
    /** The user was disabled or deleted while the session was open. */
    REVOKED,
    /** The host closed the session ({@code ProxyManager.closeSession}, {@code sallyport sessions close}). */
    CLOSED_BY_HOST,
    /** The proxy was shutting down. */
    SHUTDOWN,
    /** Anything else: an unexpected failure inside the proxy or a backend. */
    ERROR
}

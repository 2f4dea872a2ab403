package dev.sallyport.api;

/** The client-facing protocol of a session. */
public enum Protocol {
    /** SOCKS version 4 and 4a. */
    SOCKS4("socks4"),
    /** SOCKS version 5 (RFC 1928). */
    SOCKS5("socks5"),
    /** HTTP/1.1 forward proxying and CONNECT tunnels (RFC 9110, RFC 9112). */
    HTTP("http");

    private final String id;

    Protocol(String id) {
        this.id = id;
    }

    /**
     * The lowercase name used in configuration, logs and metric tags, e.g. {@code socks5}.
     *
     * @return the protocol's id
     */
    public String id() {
        return id;
    }
}

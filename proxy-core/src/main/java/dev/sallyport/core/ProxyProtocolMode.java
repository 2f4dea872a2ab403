package dev.sallyport.core;

/**
 * Whether a listener that speaks the <a href="https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt">PROXY
 * protocol</a> (v1 text or v2 binary, detected per connection) insists on its header; see
 * {@link ProxyManager.Builder#proxyProtocol(String, ProxyProtocolMode, String...)}.
 *
 * <p>In both modes a header is honoured only from a trusted source address (the load balancers),
 * and a connection from any other address that starts with a header is closed: nobody else can
 * choose the client address the proxy sees.
 */
public enum ProxyProtocolMode {
    /**
     * Every connection must come from a trusted source and start with a header; a connection
     * from any other source, or without a header, is closed. The safe choice when every client
     * arrives through the balancers.
     */
    REQUIRED,
    /**
     * A connection from a trusted source may start with a header; one without a header, and every
     * connection from another source without one, is served with its own peer address. For
     * listeners that also take direct clients.
     */
    OPTIONAL
}

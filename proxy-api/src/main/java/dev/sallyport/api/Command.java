package dev.sallyport.api;

/** What a client asks the proxy to do, independent of the protocol that carried the request. */
public enum Command {
    /** Open a TCP connection to the target and relay bytes (SOCKS CONNECT, HTTP CONNECT). */
    CONNECT,
    /** Listen for one inbound TCP connection from the target (SOCKS BIND). */
    BIND,
    /** Relay UDP datagrams (SOCKS5 UDP ASSOCIATE). */
    UDP_ASSOCIATE,
    /** Forward one HTTP request in absolute form to its origin. */
    HTTP_FORWARD
}

/**
 * Core's implementation; not API, may change in any release. This package holds the running
 * engine (event loops, listeners, first-byte routing, transport choice) and the sealed settings;
 * {@code session} holds one client connection's life (admission, dial, relay, BIND, UDP),
 * {@code policy} the decisions (authentication cache and lockout, access rules, per-user limits,
 * the in-memory user store), and {@code net} addresses, resolution and outbound connections.
 */
package dev.sallyport.core.internal;

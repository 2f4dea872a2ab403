/**
 * Addresses and outbound connections: literal parsing and classification, the system and fixed
 * resolvers, the dialer, the pooling connection pool, and the mapping of connect failures to
 * outcomes.
 */
package dev.sallyport.core.internal.net;

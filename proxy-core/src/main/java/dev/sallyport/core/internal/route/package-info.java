/**
 * The route step of the admission path: route rules, upstream proxy groups with selection and
 * passive health, the upstream handshakes, and source addresses of direct dials.
 */
package dev.sallyport.core.internal.route;

/**
 * One client connection from accept to summary: {@link dev.sallyport.core.internal.session.DefaultSession}
 * is what a frontend talks to, the admission path composes authenticate, resolve, rules,
 * limits, route and dial in order, and the relay, BIND listener and UDP association carry the
 * bytes once admitted. Confined to the client channel's event loop.
 */
package dev.sallyport.core.internal.session;

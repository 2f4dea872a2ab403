/**
 * The forward-auth endpoint: {@code GET /auth} answered from the credentials a reverse proxy
 * passes on, through the same auth chain (cache, shared checks, lockout) as the proxy listeners.
 */
package dev.sallyport.core.internal.forward;

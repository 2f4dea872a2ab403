/**
 * Reloading a running manager's configuration: {@link dev.sallyport.core.internal.reload.Reloader}
 * checks and builds everything a new configuration needs before it changes anything, then swaps
 * rules, default limits, TLS contexts and the configured users in that order;
 * {@link dev.sallyport.core.internal.reload.LiveConfig} holds what a reload may change and what
 * sessions read from it.
 */
package dev.sallyport.core.internal.reload;

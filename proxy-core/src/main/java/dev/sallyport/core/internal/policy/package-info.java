/**
 * Who may do what, and how much: the authentication chain with its cache and login guard, the
 * access-rule chain with core's default rules, per-user limits with their token buckets, and the
 * in-memory user store. Time comes from the builder's {@link dev.sallyport.core.Ticker}, so every
 * class here is tested without waiting.
 */
package dev.sallyport.core.internal.policy;

/**
 * Implementation of the test kit: not an API, may change in any release. Public only because
 * SLF4J instantiates {@link dev.sallyport.testkit.internal.CapturingServiceProvider} by name.
 */
package dev.sallyport.testkit.internal;

/**
 * How protocol modules plug into core: a {@link dev.sallyport.core.spi.Frontend} per protocol,
 * found with {@link java.util.ServiceLoader}, and the {@link dev.sallyport.core.spi.Session} core
 * gives it for each client connection. Host applications do not need this package.
 */
package dev.sallyport.core.spi;

/**
 * Spring Boot auto-configuration for Sallyport: a proxy from {@code sallyport.*} properties,
 * started with the application context ({@link dev.sallyport.spring.boot.SallyportProxy}) and
 * adjusted by {@link dev.sallyport.spring.boot.SallyportBuilderCustomizer} beans.
 */
package dev.sallyport.spring.boot;

package dev.sallyport.examples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application that runs a Sallyport proxy. There is no proxy code here: the
 * starter builds the proxy from {@code application.properties} ({@code sallyport.*}), starts it
 * with the context, publishes its meters and its {@code sallyport} health component through
 * Actuator, and drains it on graceful shutdown.
 */
@SpringBootApplication
public class ProxyApplication {

    public static void main(String[] args) {
        SpringApplication.run(ProxyApplication.class, args);
    }
}

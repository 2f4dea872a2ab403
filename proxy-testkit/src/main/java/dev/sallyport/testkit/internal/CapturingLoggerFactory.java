package dev.sallyport.testkit.internal;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Hands out {@link CapturingLogger}s around the real provider's loggers, one per name. */
final class CapturingLoggerFactory implements ILoggerFactory {

    private final ILoggerFactory real;
    private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();

    CapturingLoggerFactory(ILoggerFactory real) {
        this.real = real;
    }

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(name, n -> new CapturingLogger(n, real.getLogger(n)));
    }
}

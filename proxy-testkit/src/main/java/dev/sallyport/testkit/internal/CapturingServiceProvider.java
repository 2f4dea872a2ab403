package dev.sallyport.testkit.internal;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.NOP_FallbackServiceProvider;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * An SLF4J provider that wraps the real one (slf4j-simple, Logback, ...: the first other provider
 * on the class path) and records every WARN or ERROR that carries an exception in
 * {@link LoggedEvents}; everything is still logged by the real provider as before.
 *
 * <p>Not registered in {@code META-INF/services}, so it never competes with the real provider:
 * it is chosen by the system property {@code slf4j.provider}, which the test kit's extensions set
 * when their class loads (before SLF4J starts) unless the build sets it.
 */
public final class CapturingServiceProvider implements SLF4JServiceProvider {

    private ILoggerFactory loggerFactory;
    private IMarkerFactory markerFactory;
    private MDCAdapter mdcAdapter;

    @Override
    public void initialize() {
        SLF4JServiceProvider real = findReal();
        real.initialize();
        loggerFactory = new CapturingLoggerFactory(real.getLoggerFactory());
        markerFactory = real.getMarkerFactory();
        mdcAdapter = real.getMDCAdapter();
    }

    private static SLF4JServiceProvider findReal() {
        Iterator<SLF4JServiceProvider> providers =
                ServiceLoader.load(SLF4JServiceProvider.class, CapturingServiceProvider.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!providers.hasNext()) {
                    return new NOP_FallbackServiceProvider();
                }
                SLF4JServiceProvider provider = providers.next();
                if (!(provider instanceof CapturingServiceProvider)) {
                    return provider;
                }
            } catch (ServiceConfigurationError broken) {
                // SLF4J itself skips a provider that fails to load; so do we.
            }
        }
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggerFactory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markerFactory;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdcAdapter;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }
}

package dev.sallyport.testkit;

import dev.sallyport.testkit.internal.LoggedEvents;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fails a test when the code under test logged an exception it did not expect: a WARN or ERROR
 * event that carries a throwable, from a logger under {@code dev.sallyport} or {@code io.netty}
 * (Netty logs an exception that reached the end of a pipeline as a WARN of
 * {@code io.netty.channel.DefaultChannelPipeline}). Events from any thread count, so the server
 * side of an in-process proxy is watched while the test talks to it. Tests that provoke such an
 * exception on purpose say so with {@link AllowLoggedExceptions}.
 *
 * <p>Registration: {@code @ExtendWith(LoggedExceptionCheck.class)}, or for every test class at
 * once through JUnit's extension auto-detection
 * ({@code junit.jupiter.extensions.autodetection.enabled=true}; this jar lists it in
 * {@code META-INF/services}).
 *
 * <p>How it sees the events: SLF4J is made to start with a provider that wraps the real one
 * (slf4j-simple, Logback, ...) and records those events; everything is still logged as before.
 * The provider is chosen through the system property {@code slf4j.provider}, which this class
 * sets when it loads unless the property is already set. Where SLF4J starts before this class
 * loads (a logger made in a launcher listener, say), set
 * {@code -Dslf4j.provider=dev.sallyport.testkit.internal.CapturingServiceProvider} in the test
 * JVM; without the capture the check fails the class with that advice rather than pass blind.
 *
 * <p>Which loggers count: the configuration parameter {@value #LOGGERS} (comma-separated logger
 * name prefixes; default {@code dev.sallyport,io.netty}). Events are attributed to the test that
 * was running when they were logged: tests that run in parallel share one record.
 */
public final class LoggedExceptionCheck implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    /** Configuration parameter: the logger name prefixes whose exceptions fail a test. */
    public static final String LOGGERS = "sallyport.testkit.loggedExceptions.loggers";

    private static final List<String> DEFAULT_LOGGERS = List.of("dev.sallyport", "io.netty");

    static {
        LoggedEvents.install();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!LoggedEvents.active()) {
            throw new ExtensionConfigurationException("LoggedExceptionCheck: SLF4J started before the check "
                    + "could capture it (expected: -Dslf4j.provider=" + LoggedEvents.PROVIDER
                    + " in the test JVM, or the property unset so the check sets it)");
        }
        if (context.getTestClass().map(c -> c.getEnclosingClass() == null).orElse(true)) {
            // What was logged before this class started belongs to no test of it.
            LoggedEvents.drain();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<AnnotatedElement> scope = new ArrayList<>();
        context.getTestMethod().ifPresent(scope::add);
        scope.addAll(classes(context));
        check(context, scope);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context, new ArrayList<>(classes(context)));
    }

    private static List<AnnotatedElement> classes(ExtensionContext context) {
        List<AnnotatedElement> classes = new ArrayList<>();
        for (Class<?> c = context.getTestClass().orElse(null); c != null; c = c.getEnclosingClass()) {
            classes.add(c);
        }
        return classes;
    }

    private static void check(ExtensionContext context, List<AnnotatedElement> scope) {
        List<String> prefixes = context.getConfigurationParameter(LOGGERS)
                .map(value -> Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
                .orElse(DEFAULT_LOGGERS);
        List<LoggedEvents.Event> unexpected = new ArrayList<>();
        for (LoggedEvents.Event event : LoggedEvents.drain()) {
            if (prefixes.stream().anyMatch(event.logger()::startsWith) && !allowed(event.throwable(), scope)) {
                unexpected.add(event);
            }
        }
        if (unexpected.isEmpty()) {
            return;
        }
        StringBuilder message = new StringBuilder()
                .append(unexpected.size()).append(" unexpected exception(s) logged during ")
                .append(context.getDisplayName())
                .append(" (the exceptions follow as suppressed; a test that provokes them on purpose says so with @")
                .append(AllowLoggedExceptions.class.getSimpleName()).append("):");
        for (LoggedEvents.Event event : unexpected) {
            message.append("\n  ").append(event);
        }
        AssertionError failure = new AssertionError(message.toString());
        unexpected.forEach(event -> failure.addSuppressed(event.throwable()));
        throw failure;
    }

    private static boolean allowed(Throwable thrown, List<AnnotatedElement> scope) {
        for (AnnotatedElement element : scope) {
            AllowLoggedExceptions allow = AnnotationSupport.findAnnotation(element, AllowLoggedExceptions.class).orElse(null);
            if (allow == null) {
                continue;
            }
            if (allow.value().length == 0) {
                return true;
            }
            for (Throwable t = thrown; t != null; t = t.getCause()) {
                for (Class<? extends Throwable> type : allow.value()) {
                    if (type.isInstance(t)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}

package dev.sallyport.testkit.internal;

import org.slf4j.event.Level;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every WARN or ERROR logged with an exception since the last {@link #drain()}, from any thread,
 * as {@link CapturingServiceProvider} saw it. One store per JVM, as SLF4J has one provider.
 */
public final class LoggedEvents {

    /** What {@code -Dslf4j.provider} must name for the capture to work. */
    public static final String PROVIDER = CapturingServiceProvider.class.getName();

    private static final String PROVIDER_PROPERTY = "slf4j.provider";
    private static final Queue<Event> EVENTS = new ConcurrentLinkedQueue<>();

    private LoggedEvents() {
    }

    /** One logged exception. */
    public record Event(String logger, Level level, String message, Throwable throwable, String thread) {
        @Override
        public String toString() {
            return level + " " + logger + " [" + thread + "] " + message + ": " + throwable;
        }
    }

    /**
     * Names the capturing provider in {@code slf4j.provider} unless something else is named there.
     * SLF4J reads the property once, when the first logger is made; calling this later is harmless
     * and {@link #active()} then says whether it took effect.
     */
    public static void install() {
        String named = System.getProperty(PROVIDER_PROPERTY);
        if (named == null || named.isBlank()) {
            System.setProperty(PROVIDER_PROPERTY, PROVIDER);
        }
    }

    /** Whether SLF4J runs through the capturing provider (starts SLF4J if nothing did yet). */
    public static boolean active() {
        return org.slf4j.LoggerFactory.getILoggerFactory() instanceof CapturingLoggerFactory;
    }

    static void add(Event event) {
        EVENTS.add(event);
    }

    /** Takes every event recorded so far, oldest first. */
    public static List<Event> drain() {
        List<Event> taken = new ArrayList<>();
        for (Event event = EVENTS.poll(); event != null; event = EVENTS.poll()) {
            taken.add(event);
        }
        return taken;
    }
}

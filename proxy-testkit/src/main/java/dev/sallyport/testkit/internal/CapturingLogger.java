package dev.sallyport.testkit.internal;

import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventBuilder;


/**
 * Records WARN and ERROR events with an exception, then passes every event to the real logger.
 * WARN and ERROR always count as enabled here, so an event is recorded even where the real
 * configuration hides it.
 */
final class CapturingLogger extends AbstractLogger {

    private static final long serialVersionUID = 1L;

    private final transient Logger real;

    CapturingLogger(String name, Logger real) {
        this.name = name;
        this.real = real;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return CapturingLogger.class.getName();
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                               Throwable throwable) {
        Object[] args = arguments;
        Throwable cause = throwable;
        if (cause == null && args != null) {
            // A lone exception argument ("failed: {}", e) is still the event's exception.
            cause = MessageFormatter.getThrowableCandidate(args);
            if (cause != null) {
                args = MessageFormatter.trimmedCopy(args);
            }
        }
        if (cause != null && (level == Level.WARN || level == Level.ERROR)) {
            String message = MessageFormatter.basicArrayFormat(pattern, args);
            LoggedEvents.add(new LoggedEvents.Event(name, level, message, cause, Thread.currentThread().getName()));
        }
        LoggingEventBuilder event = real.atLevel(level).setMessage(pattern).setCause(cause);
        if (marker != null) {
            event = event.addMarker(marker);
        }
        if (args != null) {
            for (Object arg : args) {
                event = event.addArgument(arg);
            }
        }
        event.log();
    }

    @Override
    public boolean isTraceEnabled() {
        return real.isTraceEnabled();
    }

    @Override
    public boolean isTraceEnabled(Marker marker) {
        return real.isTraceEnabled(marker);
    }

    @Override
    public boolean isDebugEnabled() {
        return real.isDebugEnabled();
    }

    @Override
    public boolean isDebugEnabled(Marker marker) {
        return real.isDebugEnabled(marker);
    }

    @Override
    public boolean isInfoEnabled() {
        return real.isInfoEnabled();
    }

    @Override
    public boolean isInfoEnabled(Marker marker) {
        return real.isInfoEnabled(marker);
    }

    @Override
    public boolean isWarnEnabled() {
        return true;
    }

    @Override
    public boolean isWarnEnabled(Marker marker) {
        return true;
    }

    @Override
    public boolean isErrorEnabled() {
        return true;
    }

    @Override
    public boolean isErrorEnabled(Marker marker) {
        return true;
    }
}

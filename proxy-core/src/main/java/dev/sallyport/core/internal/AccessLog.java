package dev.sallyport.core.internal;

import dev.sallyport.core.internal.net.Addresses;

import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.SessionSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The access log: one line per session on the SLF4J logger {@code sallyport.access}, at INFO, in
 * a stable {@code key=value} format. Never contains a credential. Values with spaces, quotes or
 * control characters are quoted and escaped so a line always parses.
 *
 * <pre>
 * time=2026-11-25T20:30:00.123Z user=alice client=127.0.0.1:51234 protocol=socks5 command=connect
 *     target=example.com:443 outcome=ok rule=- up=517 down=40213 duration_ms=1532
 * </pre>
 *
 * <p>A session routed other than plain direct adds {@code route=NAME} (and {@code upstream=GROUP/HOST:PORT}
 * through an upstream proxy).
 *
 * <p>A refused login ({@code outcome=auth_failed}) ends with {@code tried_user=NAME}, the user
 * name the client tried (at most 64 characters), when its credentials carried one.
 */
public final class AccessLog implements MetricsSink {

    static final String LOGGER = "sallyport.access";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    @Override
    public void sessionClosed(SessionSummary s) {
        if (!log.isInfoEnabled()) {
            return;
        }
        log.info(format(s));
    }

    static String format(SessionSummary s) {
        StringBuilder line = new StringBuilder(192);
        line.append("time=").append(DateTimeFormatter.ISO_INSTANT.format(s.started().truncatedTo(ChronoUnit.MILLIS)));
        line.append(" user=");
        value(line, s.user());
        line.append(" client=").append(Addresses.format(s.client()));
        line.append(" protocol=").append(s.protocol().id());
        line.append(" command=").append(s.command() == null ? "-" : s.command().name().toLowerCase(Locale.ROOT));
        line.append(" target=");
        if (s.targetHost() == null) {
            line.append('-');
        } else {
            value(line, s.targetHost().indexOf(':') >= 0 ? "[" + s.targetHost() + "]:" + s.targetPort()
                    : s.targetHost() + ":" + s.targetPort());
        }
        line.append(" outcome=").append(s.outcome().name().toLowerCase(Locale.ROOT));
        line.append(" rule=");
        value(line, s.rule());
        line.append(" up=").append(s.bytesUp());
        line.append(" down=").append(s.bytesDown());
        line.append(" duration_ms=").append(s.duration().toMillis());
        if (s.route() != null && !s.route().equals("direct")) {
            // Only where routing changed something, so direct sessions keep their shape.
            line.append(" route=");
            value(line, s.route());
        }
        if (s.upstream() != null) {
            line.append(" upstream=");
            value(line, s.upstream());
        }
        if (s.triedUser() != null) {
            // Only on refused logins, so other lines keep their shape; the name is already bounded.
            line.append(" tried_user=");
            value(line, s.triedUser());
        }
        return line.toString();
    }

    private static void value(StringBuilder line, String value) {
        if (value == null || value.isEmpty()) {
            line.append('-');
            return;
        }
        boolean plain = true;
        for (int i = 0; i < value.length() && plain; i++) {
            char c = value.charAt(i);
            plain = c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=';
        }
        if (plain) {
            line.append(value);
            return;
        }
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                default -> {
                    if (c < ' ' || c == 0x7f) {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        line.append('"');
    }
}

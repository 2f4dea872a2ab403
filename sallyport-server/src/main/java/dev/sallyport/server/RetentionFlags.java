package dev.sallyport.server;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The flags of {@code serve} that bound the PostgreSQL access log (with {@code --jdbc-url}): how
 * many days of it are kept, and which sessions that never authenticated get a row. Config-file
 * keys {@code retention-days} and {@code log-unauthenticated}. They become the {@code jdbc}
 * provider's settings {@code retentionDays} and {@code logUnauthenticated}.
 */
final class RetentionFlags {

    @Option(names = "--retention-days", paramLabel = "DAYS", description = "With --jdbc-url: drop the access log's "
            + "day partitions (UTC days) that ended more than DAYS days ago, at start and every hour (default: keep "
            + "everything; hourly usage is kept regardless).")
    Integer retentionDays;

    @Option(names = "--log-unauthenticated", paramLabel = "all|none|N", description = "With --jdbc-url: which "
            + "sessions that never authenticated (no user and no request: connect-and-close, failed handshakes) get an "
            + "access-log row: all (default), none, or N for one in N. Failed logins always get one.")
    String logUnauthenticated;

    /** A new map of settings holding the provider settings of the flags that were given. */
    Map<String, String> settings(CommandLine commandLine) {
        Map<String, String> settings = new LinkedHashMap<>();
        if (retentionDays != null) {
            if (retentionDays < 1) {
                throw new CommandLine.ParameterException(commandLine, "--retention-days: " + retentionDays
                        + " (expected: >= 1; leave it out to keep everything)");
            }
            settings.put("retentionDays", Integer.toString(retentionDays));
        }
        if (logUnauthenticated != null) {
            settings.put("logUnauthenticated", oneIn(commandLine, logUnauthenticated));
        }
        return settings;
    }

    private static String oneIn(CommandLine commandLine, String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        if (text.equals("all")) {
            return "1";
        }
        if (text.equals("none")) {
            return "0";
        }
        try {
            if (Integer.parseInt(text) >= 1) {
                return text;
            }
        } catch (NumberFormatException e) {
            // Refused below.
        }
        throw new CommandLine.ParameterException(commandLine, "--log-unauthenticated: '" + value
                + "' (expected: all, none, or N >= 1 for one in N)");
    }
}

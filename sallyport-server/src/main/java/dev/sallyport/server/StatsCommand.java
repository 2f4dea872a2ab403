package dev.sallyport.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sallyport.auth.jdbc.JdbcStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sallyport stats}: bytes and sessions per user from the usage table (hour granularity),
 * or, with {@code --user}, that user's hours and latest sessions. Table or JSON.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Show usage per user from PostgreSQL (hourly granularity).")
final class StatsCommand implements Callable<Integer> {

    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)([smhdw])");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    JdbcOptions jdbc;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "24h",
            description = "How far back: 30m, 24h, 7d, 2w or ISO-8601 (PT36H); default ${DEFAULT-VALUE}.")
    String since;

    @Option(names = "--user", paramLabel = "NAME",
            description = "One user's hourly usage and latest sessions, both within --since.")
    String user;

    @Option(names = "--top", paramLabel = "N", defaultValue = "100",
            description = "At most N users, most bytes first; default ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--sessions", paramLabel = "N", defaultValue = "20",
            description = "With --user: how many latest sessions to show; default ${DEFAULT-VALUE}.")
    int sessions;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "table or json; default ${DEFAULT-VALUE}.")
    String format;

    @Override
    public Integer call() throws Exception {
        Duration period = duration(since);
        if (!format.equals("table") && !format.equals("json")) {
            throw usage("--format: '" + format + "' (expected: table or json)");
        }
        if (top < 1) {
            throw usage("--top: " + top + " (expected: >= 1)");
        }
        if (sessions < 0) {
            throw usage("--sessions: " + sessions + " (expected: >= 0)");
        }
        Instant until = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS);
        Instant from = Instant.now().minus(period);
        PrintWriter out = spec.commandLine().getOut();
        try (JdbcStore store = jdbc.open(spec.commandLine())) {
            if (user == null) {
                List<JdbcStore.Usage> usage = UsersCommand.await(store.topUsers(from, until, top));
                out.print(format.equals("json") ? usageJson(from, until, usage) : usageTable(usage));
            } else {
                List<JdbcStore.HourlyUsage> hours = UsersCommand.await(store.hourlyUsage(user, from, until));
                List<JdbcStore.SessionRecord> recent = sessions == 0 ? List.of()
                        : UsersCommand.await(store.recentSessions(user, from, until, sessions));
                out.print(format.equals("json") ? userJson(from, until, hours, recent) : userTable(hours, recent));
            }
        }
        out.flush();
        return 0;
    }

    /** A century: any longer window only overflows the timestamps it is turned into. */
    private static final Duration MAX_SINCE = Duration.ofDays(36_500);

    private Duration duration(String text) {
        Matcher m = SHORT_DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        Duration d;
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofDays(Math.multiplyExact(7, n));
                };
            } catch (NumberFormatException | ArithmeticException e) {
                throw usage("--since: '" + text + "' (expected: at most " + MAX_SINCE.toDays() + "d)");
            }
        } else {
            try {
                d = Duration.parse(text.trim());
            } catch (DateTimeParseException e) {
                throw usage("--since: '" + text + "' (expected: e.g. 30m, 24h, 7d, 2w, or ISO-8601 like PT36H)");
            }
        }
        if (d.isZero() || d.isNegative()) {
            throw usage("--since: '" + text + "' (expected: a positive duration)");
        }
        if (d.compareTo(MAX_SINCE) > 0) {
            throw usage("--since: '" + text + "' (expected: at most " + MAX_SINCE.toDays() + "d)");
        }
        return d;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static String usageTable(List<JdbcStore.Usage> usage) {
        int width = Math.max(4, usage.stream().mapToInt(u -> DisplayWidth.of(u.user())).max().orElse(4));
        String format = "%s  %12s  %12s  %12s  %8s%n";
        StringBuilder text = new StringBuilder(String.format(format, DisplayWidth.padRight("USER", width), "UP", "DOWN",
                "TOTAL", "SESSIONS"));
        for (JdbcStore.Usage u : usage) {
            text.append(String.format(format, DisplayWidth.padRight(u.user(), width), bytes(u.bytesUp()), bytes(u.bytesDown()), bytes(u.bytesTotal()),
                    u.sessions()));
        }
        return text.toString();
    }

    static String userTable(List<JdbcStore.HourlyUsage> hours, List<JdbcStore.SessionRecord> recent) {
        StringBuilder text = new StringBuilder(String.format("%-17s  %12s  %12s  %8s%n", "HOUR (UTC)", "UP", "DOWN", "SESSIONS"));
        for (JdbcStore.HourlyUsage h : hours) {
            text.append(String.format("%-17s  %12s  %12s  %8d%n", h.hour().toString().substring(0, 16).replace('T', ' '),
                    bytes(h.bytesUp()), bytes(h.bytesDown()), h.sessions()));
        }
        if (!recent.isEmpty()) {
            text.append(String.format("%n%-20s  %-7s  %-30s  %-19s  %10s  %10s  %8s%n", "STARTED (UTC)", "PROTO", "TARGET",
                    "OUTCOME", "UP", "DOWN", "SECONDS"));
            for (JdbcStore.SessionRecord s : recent) {
                text.append(String.format("%-20s  %-7s  %-30s  %-19s  %10s  %10s  %8.1f%n",
                        s.started().truncatedTo(ChronoUnit.SECONDS).toString().replace('T', ' '),
                        s.protocol() == null ? "?" : s.protocol().id(),
                        s.targetHost() == null ? "-" : s.targetHost() + ":" + s.targetPort(),
                        s.outcome(), bytes(s.bytesUp()), bytes(s.bytesDown()), s.duration().toMillis() / 1000.0));
            }
        }
        return text.toString();
    }

    static String usageJson(Instant from, Instant until, List<JdbcStore.Usage> usage) {
        ObjectNode root = window(from, until);
        ArrayNode users = Json.array(root, "users");
        for (JdbcStore.Usage u : usage) {
            users.addObject().put("user", u.user()).put("bytesUp", u.bytesUp()).put("bytesDown", u.bytesDown())
                    .put("sessions", u.sessions());
        }
        return Json.line(root);
    }

    static String userJson(Instant from, Instant until, List<JdbcStore.HourlyUsage> hours,
                           List<JdbcStore.SessionRecord> recent) {
        ObjectNode root = window(from, until);
        ArrayNode hourly = Json.array(root, "hours");
        for (JdbcStore.HourlyUsage h : hours) {
            hourly.addObject().put("hour", h.hour().toString()).put("bytesUp", h.bytesUp()).put("bytesDown", h.bytesDown())
                    .put("sessions", h.sessions());
        }
        ArrayNode sessions = Json.array(root, "sessions");
        for (JdbcStore.SessionRecord s : recent) {
            sessions.addObject().put("started", s.started().toString())
                    .put("client", s.clientAddress())
                    .put("protocol", s.protocol() == null ? null : s.protocol().id())
                    .put("command", s.command() == null ? null : s.command().name())
                    .put("targetHost", s.targetHost())
                    .put("targetPort", s.targetPort())
                    .put("outcome", s.outcome().name())
                    .put("rule", s.rule())
                    .put("bytesUp", s.bytesUp()).put("bytesDown", s.bytesDown())
                    .put("durationMillis", s.duration().toMillis());
        }
        return Json.line(root);
    }

    private static ObjectNode window(Instant from, Instant until) {
        ObjectNode root = Json.object();
        root.put("since", from.toString()).put("until", until.toString());
        return root;
    }

    /** Bytes in binary units with one decimal: 1.5 MiB. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}

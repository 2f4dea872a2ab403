package dev.sallyport.server;

import dev.sallyport.auth.jdbc.JdbcStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sallyport prune --older-than 30d}: drops the access log's day partitions (UTC days) that
 * ended longer ago than that, giving their disk space back at once. Safe while servers run and
 * write (and prune) the same database. Hourly usage is not touched.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Drop the PostgreSQL access log's days older than a period (whole UTC days).")
final class PruneCommand implements Callable<Integer> {

    private static final Pattern DAYS = Pattern.compile("(\\d{1,6})d?");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    JdbcOptions jdbc;

    @Option(names = "--older-than", paramLabel = "DAYS", required = true,
            description = "Drop the days that ended more than this long ago: 30d (or 30), at least 1d.")
    String olderThan;

    @Override
    public Integer call() throws Exception {
        Matcher m = DAYS.matcher(olderThan.trim().toLowerCase(Locale.ROOT));
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--older-than: '" + olderThan
                    + "' (expected: whole days >= 1, e.g. 30d)");
        }
        int days = Integer.parseInt(m.group(1));
        PrintWriter out = spec.commandLine().getOut();
        try (JdbcStore store = jdbc.open(spec.commandLine())) {
            int dropped = UsersCommand.await(store.prune(Duration.ofDays(days)));
            out.println("dropped " + dropped + " day partition(s) of the access log older than " + days + " day(s)");
        }
        out.flush();
        return 0;
    }
}

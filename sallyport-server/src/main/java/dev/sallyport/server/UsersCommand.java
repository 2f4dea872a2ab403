package dev.sallyport.server;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.User;
import dev.sallyport.auth.jdbc.JdbcStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sallyport users}: manages the users in PostgreSQL. {@code add} and {@code rotate} print
 * the generated secrets once; the database keeps only their hashes.
 */
@Command(name = "users", mixinStandardHelpOptions = true,
        description = "Manage proxy users stored in PostgreSQL.",
        subcommands = {UsersCommand.Add.class, UsersCommand.ListUsers.class, UsersCommand.Set.class,
                UsersCommand.Disable.class, UsersCommand.Enable.class, UsersCommand.Remove.class,
                UsersCommand.Rotate.class})
final class UsersCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is required: add, list, set, disable, enable, remove, rotate");
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)(i?b)?(/s)?", Pattern.CASE_INSENSITIVE);

    /** Waits for a store call; unwraps its failure so the message reaches the user as is. */
    static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Bytes per second: a number with an optional K, M or G suffix (powers of 1024); 0 for none. */
    static long bandwidth(CommandLine commandLine, String value) {
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) {
            throw new CommandLine.ParameterException(commandLine, "--bandwidth: '" + value
                    + "' (expected: bytes per second, e.g. 500K, 10M, 0 for no limit)");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new CommandLine.ParameterException(commandLine, "--bandwidth: '" + value + "' is too large");
        }
        return n << shift;
    }

    static void printSecrets(PrintWriter out, NewCredentials credentials) {
        out.println("user     " + credentials.user().name());
        out.println("password " + credentials.password());
        out.println("token    " + credentials.token());
        out.println("(shown once: only their hashes are stored)");
        out.flush();
    }

    static String formatBandwidth(long bytesPerSecond) {
        if (bytesPerSecond == 0) {
            return "-";
        }
        if (bytesPerSecond % (1 << 20) == 0) {
            return (bytesPerSecond >> 20) + "M/s";
        }
        if (bytesPerSecond % (1 << 10) == 0) {
            return (bytesPerSecond >> 10) + "K/s";
        }
        return bytesPerSecond + "B/s";
    }

    /** The options shared by {@code add} and {@code set}. */
    static final class LimitOptions {
        @Option(names = "--bandwidth", paramLabel = "RATE",
                description = "Bandwidth each way in bytes per second (K, M, G suffixes; 0 for no limit).")
        String bandwidth;

        @Option(names = "--max-connections", paramLabel = "N",
                description = "Concurrent sessions (0 for no limit).")
        Integer maxConnections;

        @Option(names = "--sessions-per-second", paramLabel = "N",
                description = "New sessions per second (0 for no limit).")
        Integer sessionsPerSecond;

        Limits apply(CommandLine commandLine, Limits limits) {
            try {
                if (bandwidth != null) {
                    limits = limits.withBandwidth(bandwidth(commandLine, bandwidth));
                }
                if (maxConnections != null) {
                    limits = limits.withMaxSessions(maxConnections);
                }
                if (sessionsPerSecond != null) {
                    limits = new Limits(limits.maxSessions(), sessionsPerSecond, limits.uploadBytesPerSecond(),
                            limits.downloadBytesPerSecond());
                }
                return limits;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, "--" + e.getMessage()
                        .replace("maxSessions", "max-connections").replace("sessionsPerSecond", "sessions-per-second"));
            }
        }

        boolean any() {
            return bandwidth != null || maxConnections != null || sessionsPerSecond != null;
        }
    }

    /** Base of every subcommand: opens the store, runs, closes it. */
    abstract static class StoreCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JdbcOptions jdbc;

        @Override
        public Integer call() throws Exception {
            validate();
            try (JdbcStore store = jdbc.open(spec.commandLine())) {
                run(store, spec.commandLine().getOut());
            }
            return 0;
        }

        void validate() {
        }

        abstract void run(JdbcStore store, PrintWriter out) throws Exception;

        CommandLine.ParameterException usage(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Create a user; prints the password (generated unless --password) and a token once.")
    static final class Add extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "User name (1-255 bytes of UTF-8).")
        String name;

        @Option(names = "--password", paramLabel = "PASSWORD", description = "Password (default: generated).")
        String password;

        @Mixin
        LimitOptions limits;

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            Limits userLimits = limits.apply(spec.commandLine(), Limits.NONE);
            printSecrets(out, await(store.create(name, password, userLimits)));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users and their limits.")
    static final class ListUsers extends StoreCommand {
        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            List<User> users = await(store.list());
            int width = Math.max(4, users.stream().mapToInt(u -> u.name().length()).max().orElse(4));
            String format = "%-" + width + "s  %-8s  %9s  %9s  %9s  %s%n";
            out.printf(format, "NAME", "STATE", "MAX-CONN", "SESS/S", "BANDWIDTH", "CREATED");
            for (User user : users) {
                Limits l = user.limits();
                String bandwidth = l.uploadBytesPerSecond() == l.downloadBytesPerSecond()
                        ? formatBandwidth(l.uploadBytesPerSecond())
                        : formatBandwidth(l.uploadBytesPerSecond()) + "," + formatBandwidth(l.downloadBytesPerSecond());
                out.printf(format, user.name(), user.enabled() ? "enabled" : "disabled",
                        l.maxSessions() == 0 ? "-" : l.maxSessions(), l.sessionsPerSecond() == 0 ? "-" : l.sessionsPerSecond(),
                        bandwidth, TIME.format(user.created()));
            }
            out.flush();
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Change a user's limits.")
    static final class Set extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Mixin
        LimitOptions limits;

        @Override
        void validate() {
            if (!limits.any()) {
                throw usage("set: nothing to change (expected: --bandwidth, --max-connections or --sessions-per-second)");
            }
        }

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            User user = await(store.find(name)).orElseThrow(() -> new IllegalArgumentException("name: no user '" + name + "'"));
            User updated = await(store.update(name, limits.apply(spec.commandLine(), user.limits())));
            out.println("updated " + updated.name());
            out.flush();
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true, description = "Refuse a user's new logins.")
    static final class Disable extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            await(store.enable(name, false));
            out.println("disabled " + name);
            out.flush();
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Allow a disabled user again.")
    static final class Enable extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            await(store.enable(name, true));
            out.println("enabled " + name);
            out.flush();
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Delete a user (the access log keeps its sessions).")
    static final class Remove extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            if (!await(store.delete(name))) {
                throw new IllegalArgumentException("name: no user '" + name + "'");
            }
            out.println("removed " + name);
            out.flush();
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Issue a new password and token; the old ones stop working.")
    static final class Rotate extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            printSecrets(out, await(store.rotate(name)));
        }
    }
}

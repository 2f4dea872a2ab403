package dev.sallyport.server;

import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.User;
import dev.sallyport.api.UserNames;
import dev.sallyport.auth.jdbc.JdbcStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
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
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:the database failed (unreachable, or an error)",
            "2:bad input: a flag, an invalid user name, a user that does not exist (or already does for add)"},
        subcommands = {UsersCommand.Add.class, UsersCommand.ListUsers.class, UsersCommand.Set.class,
                UsersCommand.Disable.class, UsersCommand.Enable.class, UsersCommand.Remove.class,
                UsersCommand.Rotate.class})
final class UsersCommand implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(UsersCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is required: add, list, set, disable, enable, remove, rotate");
    }

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
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException moreDigitsThanALong) {
            n = -1;
        }
        // Refused, never wrapped: more digits than a long holds, or a multiple past it.
        if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
            throw new CommandLine.ParameterException(commandLine, "--bandwidth: '" + value
                    + "' is too large (expected: at most " + (Long.MAX_VALUE >> 30) + "G bytes per second)");
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

    /**
     * The options shared by {@code add} and {@code set}, checked by {@link #check} before the
     * store is opened, so that {@link #apply} cannot fail.
     */
    static final class LimitOptions {
        @Option(names = "--bandwidth", paramLabel = "RATE",
                description = "Bandwidth each way in bytes per second (K, M, G suffixes; 0 for no limit).")
        String bandwidth;

        @Option(names = "--max-sessions", paramLabel = "N",
                description = "Concurrent sessions (0 for no limit).")
        Integer maxSessions;

        @Option(names = "--sessions-per-second", paramLabel = "N",
                description = "New sessions per second (0 for no limit).")
        Integer sessionsPerSecond;

        private Long bytesPerSecond;
        private boolean warned;

        /** The old name of {@code --max-sessions}: still accepted, with one WARN. */
        @Option(names = "--max-connections", paramLabel = "N", hidden = true)
        void maxConnections(int sessions) {
            if (!warned) {
                warned = true;
                log.warn("--max-connections is deprecated: it is the user's concurrent sessions; use --max-sessions");
            }
            maxSessions = sessions;
        }

        void check(CommandLine commandLine) {
            if (bandwidth != null) {
                bytesPerSecond = bandwidth(commandLine, bandwidth);
            }
            notNegative(commandLine, "--max-sessions", maxSessions);
            notNegative(commandLine, "--sessions-per-second", sessionsPerSecond);
        }

        private static void notNegative(CommandLine commandLine, String flag, Integer value) {
            if (value != null && value < 0) {
                throw new CommandLine.ParameterException(commandLine, flag + ": " + value + " (expected: >= 0, 0 for no limit)");
            }
        }

        Limits apply(Limits limits) {
            if (bytesPerSecond != null) {
                limits = limits.withBandwidth(bytesPerSecond);
            }
            if (maxSessions != null) {
                limits = limits.withMaxSessions(maxSessions);
            }
            if (sessionsPerSecond != null) {
                limits = new Limits(limits.maxSessions(), sessionsPerSecond, limits.uploadBytesPerSecond(),
                        limits.downloadBytesPerSecond());
            }
            return limits;
        }

        boolean any() {
            return bandwidth != null || maxSessions != null || sessionsPerSecond != null;
        }
    }

    /**
     * Base of every subcommand: checks the arguments, opens the store, runs, closes it. Bad input
     * exits 2 like a bad flag: what {@link #validate} refuses before the store opens, and what
     * the store refuses with {@link IllegalArgumentException} (by the {@code UserStore} contract:
     * an unknown or existing name, a bad password). A database that fails exits 1.
     */
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
            } catch (IllegalArgumentException refused) {
                throw usage(refused.getMessage());
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

    /** A subcommand about one user, whose name is checked before the store opens. */
    abstract static class UserCommand extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "User name (" + UserNames.RULE + ").")
        String name;

        /**
         * A name no store can hold is bad input. Only {@code add} applies the whole rule for new
         * names: a user stored before it (with a ':', say) can still be managed and removed.
         */
        @Override
        void validate() {
            if (!UserNames.plausible(name)) {
                validateNew();
            }
        }

        void validateNew() {
            try {
                UserNames.validate(name);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Create a user; prints the password (generated unless --password-stdin or --password) and a token once.")
    static final class Add extends UserCommand {
        @Option(names = "--password", paramLabel = "PASSWORD",
                description = "Password (default: generated). Shows in the process list: prefer --password-stdin.")
        String password;

        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;

        @Mixin
        LimitOptions limits;

        @Mixin
        AttrOptions attributes;

        @Override
        void validate() {
            validateNew();
            limits.check(spec.commandLine());
            attributes.check(spec.commandLine());
            if (passwordStdin && password != null) {
                throw usage("--password-stdin: also --password (expected: one of them)");
            }
            try {
                if (passwordStdin) {
                    password = PasswordInput.firstLine(System.in);
                    if (password == null) {
                        throw usage("--password-stdin: no line on standard input (expected: the password and a newline)");
                    }
                }
                if (password != null) {
                    UserNames.validatePassword(password);
                }
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            printSecrets(out, await(store.create(name, password, limits.apply(Limits.NONE))));
            // After the secrets are shown: they are shown once, even if this step fails.
            if (attributes.any()) {
                await(store.attributes(name, attributes.changes()));
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users and their limits.")
    static final class ListUsers extends StoreCommand {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json; default ${DEFAULT-VALUE}.")
        String format;

        @Override
        void validate() {
            if (!format.equals("table") && !format.equals("json")) {
                throw usage("--format: '" + format + "' (expected: table or json)");
            }
        }

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            List<User> users = await(store.list());
            java.util.Map<String, java.util.Map<String, String>> attributes = await(store.attributes());
            out.print(format.equals("json") ? UserList.json(users, attributes) : UserList.table(users, attributes));
            out.flush();
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Change a user's limits and attributes.")
    static final class Set extends UserCommand {
        @Mixin
        LimitOptions limits;

        @Mixin
        AttrOptions attributes;

        @Override
        void validate() {
            super.validate();
            if (!limits.any() && !attributes.any()) {
                throw usage("set: nothing to change (expected: --bandwidth, --max-sessions, --sessions-per-second or --attr)");
            }
            limits.check(spec.commandLine());
            attributes.check(spec.commandLine());
        }

        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            if (limits.any()) {
                User user = await(store.find(name)).orElseThrow(() -> new IllegalArgumentException("name: no user '" + name + "'"));
                await(store.update(name, limits.apply(user.limits())));
            }
            if (attributes.any()) {
                await(store.attributes(name, attributes.changes()));
            }
            out.println("updated " + name);
            out.flush();
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true, description = "Refuse a user's new logins.")
    static final class Disable extends UserCommand {
        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            await(store.enable(name, false));
            out.println("disabled " + name);
            out.flush();
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Allow a disabled user again.")
    static final class Enable extends UserCommand {
        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            await(store.enable(name, true));
            out.println("enabled " + name);
            out.flush();
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Delete a user (the access log keeps its sessions).")
    static final class Remove extends UserCommand {
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
    static final class Rotate extends UserCommand {
        @Override
        void run(JdbcStore store, PrintWriter out) throws Exception {
            printSecrets(out, await(store.rotate(name)));
        }
    }
}

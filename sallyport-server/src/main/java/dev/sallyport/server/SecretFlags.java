package dev.sallyport.server;

import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.UserNames;
import dev.sallyport.core.ProxyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Where {@code serve} takes its users' passwords from, so that none needs to be on the command
 * line, where {@code ps} and {@code /proc/PID/cmdline} show it to every local user:
 * <ul>
 *   <li>{@code --user-file FILE} (config key {@code user-file}): every {@code NAME:SECRET} line
 *       is a user; {@code #} starts a comment line; blank lines are skipped; the line is trimmed,
 *       and the name ends at the first {@code :}. The file is refused, like {@code --config},
 *       when others may read it or others or its group may write it (unless
 *       {@code --allow-insecure-config}): it is the whole list of secrets.
 *       {@code --user-file -} reads the same lines from standard input, once at start (a reload
 *       keeps them).</li>
 *   <li>{@code --user NAME}: the password from the environment variable {@link #envName}, else
 *       NAME's line in the user file.</li>
 *   <li>{@code --user NAME:PASSWORD} still works, with one WARN at start.</li>
 *   <li>{@code user.NAME=SECRET} lines of {@code --config} (replaced by any {@code --user}).</li>
 * </ul>
 * A SECRET of the form {@code pbkdf2-sha256$ITERATIONS$SALT$HASH} ({@link PasswordHashes#hash},
 * as {@code users add} stores them in PostgreSQL) is taken as the hash of the password.
 * Plaintext passwords are hashed on their first login, not at start.
 */
final class SecretFlags {

    private static final Logger log = LoggerFactory.getLogger(SecretFlags.class);
    static final String ENV_PREFIX = "SALLYPORT_USER_";

    /** A resolved user; {@link #toString()} never shows the secret. */
    record ServeUser(String name, String secret, boolean hashed) {
        @Override
        public String toString() {
            return name + ":***";
        }
    }

    @Option(names = "--user-file", paramLabel = "FILE", description = "Users, one NAME:PASSWORD or NAME:HASH a line "
            + "(chmod 600; re-read on SIGHUP); '-' reads them from standard input.")
    String userFile;

    /** {@code user.NAME=SECRET} lines of --config, as ConfigFile passes them on. */
    @Option(names = "--config-user", hidden = true)
    List<String> configUsers = new ArrayList<>();

    /** The command line before --config was expanded: what a reload expands again. */
    String[] arguments;
    /** The lines of {@code --user-file -}, read once. */
    List<String> stdinLines;
    /** False on a reload: the WARN about a password on the command line was given at start. */
    boolean warn = true;

    /**
     * The environment variable {@code --user NAME} takes NAME's password from:
     * {@code SALLYPORT_USER_} then the name's UTF-8 bytes, ASCII letters and digits as they are
     * and every other byte as {@code _} and two uppercase hex digits ({@code bob.smith} ->
     * {@code SALLYPORT_USER_bob_2Esmith}, {@code a_b} -> {@code SALLYPORT_USER_a_5Fb}): one
     * variable per name, none shared by two names, in the characters every shell accepts.
     */
    static String envName(String user) {
        StringBuilder name = new StringBuilder(ENV_PREFIX);
        for (byte b : user.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && Character.isLetterOrDigit(c)) {
                name.append(c);
            } else {
                name.append('_').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return name.toString();
    }

    /** The users' names as the effective configuration shows them, secrets masked. */
    List<String> describe(List<String> cliUsers) {
        List<String> all = new ArrayList<>(configUsers);
        all.addAll(cliUsers);
        return all.stream().map(u -> u.indexOf(':') > 0 ? u.substring(0, u.indexOf(':')) + ":***"
                : u.isEmpty() || u.startsWith(":") ? "***" : u + ":***").toList();
    }

    /**
     * Every user with their secret, from {@code --config}, {@code --user} and {@code --user-file},
     * in that order. Problems are usage errors naming the flag (and the file's line), never a secret.
     */
    List<ServeUser> resolve(List<String> cliUsers, boolean allowInsecure, Function<String, String> env,
                            InputStream stdin, Function<String, CommandLine.ParameterException> usage) {
        Map<String, ServeUser> users = new LinkedHashMap<>();
        for (String user : configUsers) {
            int colon = user.indexOf(':');
            add(users, new ServeUser(user.substring(0, colon), user.substring(colon + 1), false), "--config", usage);
        }
        Map<String, ServeUser> file = userFile == null ? Map.of() : readFile(allowInsecure, stdin, usage);
        boolean plainOnCommandLine = false;
        for (String user : cliUsers) {
            int colon = user.indexOf(':');
            if (colon == 0 || colon == user.length() - 1 || user.isEmpty()) {
                throw usage.apply("--user: expected NAME, or NAME:PASSWORD with both parts non-empty");
            }
            if (colon > 0) {
                ServeUser given = new ServeUser(user.substring(0, colon), user.substring(colon + 1), false);
                plainOnCommandLine |= !PasswordHashes.isHash(given.secret());
                add(users, given, "--user", usage);
                continue;
            }
            String fromEnv = env.apply(envName(user));
            if (fromEnv != null && file.containsKey(user)) {
                throw usage.apply("--user: " + user + " has a password both in " + envName(user) + " and in --user-file "
                        + "(expected: one of them)");
            }
            if (fromEnv == null && !file.containsKey(user)) {
                throw usage.apply("--user: " + user + " has no password (expected: NAME:PASSWORD, the environment variable "
                        + envName(user) + ", or a line " + user + ":PASSWORD in --user-file)");
            }
            if (fromEnv != null) {
                add(users, new ServeUser(user, fromEnv, false), "--user", usage);
            }
        }
        for (ServeUser user : file.values()) {
            add(users, user, "--user-file", usage);
        }
        if (plainOnCommandLine && warn) {
            log.warn("--user NAME:PASSWORD shows the password to every local user (ps, /proc/PID/cmdline); use "
                    + "--user-file FILE, --user NAME with {}NAME set, or --user-file - to read it from standard input",
                    ENV_PREFIX);
        }
        return List.copyOf(users.values());
    }

    private static void add(Map<String, ServeUser> users, ServeUser user, String source,
                            Function<String, CommandLine.ParameterException> usage) {
        ServeUser before = users.putIfAbsent(user.name(), new ServeUser(user.name(), user.secret(),
                PasswordHashes.isHash(user.secret())));
        if (before != null) {
            throw usage.apply(source + ": user " + user.name() + " is given twice (expected: each user once, "
                    + "in --config, --user or --user-file)");
        }
    }

    /** Adds the users to {@code builder}, each as a password or a hash. */
    static void apply(ProxyManager.Builder builder, List<ServeUser> users,
                      Function<String, CommandLine.ParameterException> usage) {
        for (ServeUser user : users) {
            try {
                if (user.hashed()) {
                    builder.userHash(user.name(), user.secret());
                } else {
                    builder.user(user.name(), user.secret());
                }
            } catch (IllegalArgumentException e) {
                // The builder's messages name the rule and the user, never the password.
                throw usage.apply("--user: " + e.getMessage());
            }
        }
    }

    private Map<String, ServeUser> readFile(boolean allowInsecure, InputStream stdin,
                                            Function<String, CommandLine.ParameterException> usage) {
        List<String> lines;
        String where;
        if (userFile.equals("-")) {
            where = "--user-file: standard input";
            if (stdinLines == null) {
                try {
                    stdinLines = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).lines().toList();
                } catch (java.io.UncheckedIOException e) {
                    throw usage.apply(where + ": " + e.getCause().getMessage());
                }
            }
            lines = stdinLines;
        } else {
            Path path = Path.of(userFile);
            where = "--user-file: " + path;
            String exposed = ConfigFile.exposure(path);
            if (exposed != null && !allowInsecure) {
                throw usage.apply(where + " holds passwords and is " + exposed + " (expected: chmod 600 " + path
                        + ", or --allow-insecure-config)");
            }
            try {
                lines = Files.readAllLines(path, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw usage.apply(where + ": cannot read it (" + e + ")");
            }
        }
        return parse(lines, where, usage);
    }

    /** The users of a user file's lines; errors name the line, never its secret. */
    static Map<String, ServeUser> parse(List<String> lines, String where,
                                        Function<String, CommandLine.ParameterException> usage) {
        Map<String, ServeUser> users = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = (i == 0 && lines.get(i).startsWith("\uFEFF") ? lines.get(i).substring(1) : lines.get(i)).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String at = where + " line " + (i + 1) + ": ";
            int colon = line.indexOf(':');
            if (colon <= 0 || colon == line.length() - 1) {
                throw usage.apply(at + (colon < 0 ? "no ':'" : colon == 0 ? "no name" : "no password")
                        + " (expected: NAME:PASSWORD or NAME:HASH)");
            }
            String name = line.substring(0, colon);
            try {
                UserNames.validate(name);
            } catch (IllegalArgumentException e) {
                throw usage.apply(at + e.getMessage());
            }
            Integer first = lineOf.putIfAbsent(name, i + 1);
            if (first != null) {
                throw usage.apply(at + "user " + name + " again, first on line " + first + " (expected: each user once)");
            }
            String secret = line.substring(colon + 1);
            users.put(name, new ServeUser(name, secret, PasswordHashes.isHash(secret)));
        }
        return users;
    }
}

package dev.sallyport.server;

import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.UserNames;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code sallyport install}: writes a commented configuration file, a hardened systemd unit and,
 * with {@code --compose}, a compose file, then prints the commands that start the service.
 *
 * <p>Every file is checked before any is written, so a refusal ({@code exists}, exit 2) leaves
 * nothing half-installed; each file is written to a temporary name beside it with its final
 * permissions from creation on and then moved into place, so no reader ever sees a partial or
 * world-readable file. The generated password is printed once; the configuration file (0600)
 * keeps only its PBKDF2 hash.
 */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = "Write a configuration file, a systemd unit (and a compose file) for running the proxy as a service.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written (or printed, with --dry-run)", "1:a file could not be written",
            "2:bad input, or a file exists (use --force)"})
final class InstallCommand implements Callable<Integer> {

    /** Where the running jar is unknown (run from classes), the unit runs the container image's path. */
    static final String DEFAULT_JAR = "/opt/sallyport/sallyport.jar";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--protocol", required = true, paramLabel = "PROTOCOL",
            description = "http, socks5, both (SOCKS5 on --port, HTTP on --http-port) or mixed (all on one port).")
    String protocol;

    @Option(names = "--port", paramLabel = "N",
            description = "The port (default: 1080, or 8080 for http; 0 for any free port).")
    Integer port;

    @Option(names = "--http-port", paramLabel = "N", defaultValue = "8080",
            description = "With --protocol both: the HTTP port (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "0.0.0.0",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, every interface).")
    String bind;

    @Option(names = "--prefix", paramLabel = "DIR", defaultValue = "/",
            description = "Root under which etc/sallyport and etc/systemd/system are written (default: ${DEFAULT-VALUE}).")
    Path prefix;

    @Option(names = "--first-user", paramLabel = "NAME", defaultValue = "admin",
            description = "Name of the generated first user (default: ${DEFAULT-VALUE}).")
    String firstUser;

    @Option(names = "--jdbc-url", paramLabel = "URL",
            description = "Keep users, the access log and usage in PostgreSQL (the first user is then made with 'users add').")
    String jdbcUrl;

    @Option(names = "--jar", paramLabel = "FILE",
            description = "The server jar the unit runs (default: the running one, or " + DEFAULT_JAR + ").")
    Path jar;

    @Option(names = "--compose", description = "Also write a compose file running the container image with this configuration.")
    boolean compose;

    @Option(names = "--dry-run", description = "Print what would be written; write nothing.")
    boolean dryRun;

    @Option(names = "--force", description = "Overwrite files that exist.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        InstallFiles.Plan plan = plan();
        PrintWriter out = spec.commandLine().getOut();
        String password = plan.jdbcUrl() == null ? PasswordHashes.randomSecret(18) : null;
        List<InstallFiles.File> files = InstallFiles.files(plan,
                dryRun || password == null ? "<hash of the password generated at install>" : PasswordHashes.hash(password));
        if (!force) {
            for (InstallFiles.File file : files) {
                if (Files.exists(file.path(), LinkOption.NOFOLLOW_LINKS)) {
                    throw exists(file.path());
                }
            }
        }
        for (InstallFiles.File file : files) {
            if (dryRun) {
                out.println("# would write " + file.path() + " (" + file.mode() + ")");
                out.print(file.text());
                out.println();
            } else {
                write(file);
                out.println("wrote " + file.path() + " (" + file.mode() + ")");
            }
        }
        if (password != null && !dryRun) {
            out.println();
            out.println("user     " + plan.user());
            out.println("password " + password);
            out.println("(shown once; kept in " + plan.config() + ", readable by its owner only)");
        }
        out.println();
        out.println(dryRun ? "then run:" : "next:");
        InstallFiles.nextCommands(plan).forEach(command -> out.println("  " + command));
        out.flush();
        return 0;
    }

    private InstallFiles.Plan plan() {
        List<InstallFiles.Listener> listeners = new ArrayList<>();
        switch (protocol) {
            case "http" -> listeners.add(new InstallFiles.Listener("http", port(port, 8080, "--port")));
            case "socks5" -> listeners.add(new InstallFiles.Listener("socks5", port(port, 1080, "--port")));
            case "mixed" -> listeners.add(new InstallFiles.Listener("mixed", port(port, 1080, "--port")));
            case "both" -> {
                listeners.add(new InstallFiles.Listener("socks5", port(port, 1080, "--port")));
                listeners.add(new InstallFiles.Listener("http", port(httpPort, 8080, "--http-port")));
            }
            default -> throw usage("--protocol: '" + protocol + "' (expected: http, socks5, both or mixed)");
        }
        try {
            UserNames.validate(firstUser);
        } catch (IllegalArgumentException e) {
            throw usage("--first-user: " + e.getMessage());
        }
        if (firstUser.indexOf('=') >= 0) {
            // The config file's line user.NAME=HASH ends the key at the first '=': another user, another password.
            throw usage("--first-user: '" + firstUser + "' (expected: no '=', which a user.NAME line of the config file cannot hold)");
        }
        if (bind.isBlank() || bind.chars().anyMatch(c -> c <= ' ')) {
            throw usage("--bind: '" + bind + "' (expected: an address, e.g. 0.0.0.0 or 127.0.0.1)");
        }
        if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw usage("--jdbc-url: '" + jdbcUrl + "' (expected: jdbc:postgresql://HOST[:PORT]/DATABASE)");
        }
        Path root = prefix.toAbsolutePath().normalize();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new InstallFiles.Plan(listeners, bind, firstUser, jdbcUrl, compose,
                root.resolve("etc/sallyport"), root.resolve("etc/systemd/system"), java,
                jar == null ? runningJar() : jar.toAbsolutePath().normalize());
    }

    private int port(Integer value, int fallback, String flag) {
        int p = value == null ? fallback : value;
        if (p < 0 || p > 65535) {
            throw usage(flag + ": " + p + " (expected: 0-65535)");
        }
        return p;
    }

    /** The jar this command runs from, or {@link #DEFAULT_JAR} when it runs from a class directory. */
    static Path runningJar() {
        try {
            Path source = Path.of(InstallCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (source.getFileName() != null && source.getFileName().toString().endsWith(".jar")) {
                return source.toAbsolutePath().normalize();
            }
        } catch (URISyntaxException | SecurityException | NullPointerException | IllegalArgumentException e) {
            // Fall through: no jar of ours to point at.
        }
        return Path.of(DEFAULT_JAR);
    }

    private void write(InstallFiles.File file) throws IOException {
        Path target = file.path();
        Files.createDirectories(target.getParent());
        Path temporary = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(file.mode())));
        try {
            Files.writeString(temporary, file.text(), StandardCharsets.UTF_8);
            if (force) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                // No REPLACE_EXISTING: a file made since the check is refused, not replaced.
                Files.move(temporary, target);
            }
        } catch (FileAlreadyExistsException e) {
            throw exists(target);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private CommandLine.ParameterException exists(Path file) {
        return usage("install: " + file + " exists (expected: no file there, or --force to overwrite it)");
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}

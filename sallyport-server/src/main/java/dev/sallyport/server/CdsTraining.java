package dev.sallyport.server;

import dev.sallyport.api.Limits;
import dev.sallyport.api.User;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run of the class-data-sharing archive that {@code bin/sallyport} starts the CLI
 * with: the build runs {@code java -XX:ArchiveClassesAtExit=target/sallyport.jsa -cp
 * target/sallyport.jar dev.sallyport.server.CdsTraining} after packaging, and the JVM archives
 * every class this loaded. It walks the paths of the short-lived commands ({@code version},
 * {@code users}, {@code stats}, {@code status}, {@code install}, their help) without touching
 * the network, and loads the database classes {@code users} and {@code stats} use without
 * connecting; then a {@link WarmUp} of half a second on loopback loads the classes of
 * {@code serve}'s session path (engine, transport, SOCKS5 and HTTP, relay), so that {@code serve}
 * reaches {@code ready} ~0.4 s sooner. Not a command: nothing in the CLI reaches it.
 */
final class CdsTraining {

    private CdsTraining() {
    }

    /**
     * Runs the training commands, output discarded.
     *
     * @param args ignored
     * @throws Exception when a class cannot be loaded: the archive would be incomplete
     */
    public static void main(String[] args) throws Exception {
        PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
        Path prefix = Files.createTempDirectory("sallyport-cds");
        try {
            for (String[] command : List.of(
                    new String[] {"version"}, new String[] {"--help"},
                    new String[] {"users", "list", "--help"}, new String[] {"users", "add", "--help"},
                    new String[] {"stats", "--help"}, new String[] {"status", "--help"}, new String[] {"sessions", "--help"},
                    new String[] {"install", "--protocol", "both", "--compose", "--dry-run", "--prefix", prefix.toString()},
                    new String[] {"users", "list", "--format", "yaml", "--jdbc-url", "jdbc:postgresql://127.0.0.1/none"})) {
                Main.run(command, nowhere, nowhere);
            }
            UserList.json(List.of(new User("training", Limits.NONE, true, Instant.EPOCH, Instant.EPOCH)),
                    java.util.Map.of("training", java.util.Map.of("upstream", "eu")));
            UserList.table(List.of(new User("training", Limits.NONE, true, Instant.EPOCH, Instant.EPOCH)),
                    java.util.Map.of("training", java.util.Map.of("upstream", "eu")));
            for (String name : List.of("org.postgresql.Driver", "com.zaxxer.hikari.HikariDataSource",
                    "org.jdbi.v3.core.Jdbi", "dev.sallyport.auth.jdbc.JdbcStore", "java.net.http.HttpClient")) {
                Class.forName(name, true, CdsTraining.class.getClassLoader());
            }
            WarmUp.Report serve = WarmUp.run(Duration.ofMillis(500), null);
            if (serve.failure() != null || serve.sessions() == 0) {
                throw new IllegalStateException("the serve path did not run: " + serve);
            }
        } finally {
            try (Stream<Path> files = Files.walk(prefix)) {
                files.sorted(Comparator.reverseOrder()).forEach(CdsTraining::delete);
            }
        }
    }

    private static void delete(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

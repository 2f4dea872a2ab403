package dev.sallyport.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code serve --spool-dir DIR} (config key {@code spool-dir}): where the PostgreSQL store keeps
 * the accounting records it could not write before shutdown, to write them on the next start.
 *
 * <p>Default: a directory {@code spool} beside the {@code --config} file, or in the working
 * directory without one. The standalone server always has a spool, unlike the library: an
 * operator who stops it during a database outage expects the sessions to be accounted. At start the
 * directory is created and a probe file written and removed there, so a spool nobody can write is
 * a usage error at once. A spool that cannot be written at shutdown after all is an ERROR and exit
 * status 1.
 */
final class SpoolFlags {

    private static final Logger log = LoggerFactory.getLogger(SpoolFlags.class);

    @Option(names = "--spool-dir", paramLabel = "DIR", description = "Where accounting records not written to "
            + "PostgreSQL at shutdown are kept and written on the next start (default: 'spool' beside --config, "
            + "or in the working directory).")
    Path spoolDir;

    private volatile boolean failed;

    /**
     * Adds the spool directory to the {@code jdbc} store's settings, once a file could be written
     * there: a spool nobody can write would otherwise only show at the shutdown that needs it.
     */
    void apply(Map<String, String> settings, Path config, Function<String, RuntimeException> usage) {
        Path directory = directory(config);
        String problem = unwritable(directory);
        if (problem != null) {
            throw usage.apply("--spool-dir: " + directory + " (expected: a directory this user can write; " + problem + ")");
        }
        settings.put("spoolDir", directory.toString());
    }

    /**
     * Why no file can be written in {@code directory} (null: one can): creates it and whatever of
     * its parents is missing, then writes and deletes a probe file. The directory stays: instances
     * sharing it (the default, beside the config) probe it at the same time, and one removing it
     * would fail another's probe.
     */
    static String unwritable(Path directory) {
        try {
            Path absolute = Files.createDirectories(directory.toAbsolutePath().normalize());
            Files.delete(Files.createTempFile(absolute, ".probe-", ".tmp"));
            return null;
        } catch (IOException | SecurityException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    Path directory(Path config) {
        if (spoolDir != null) {
            return spoolDir;
        }
        Path beside = config == null ? null : config.toAbsolutePath().getParent();
        return beside == null ? Path.of("spool").toAbsolutePath() : beside.resolve("spool");
    }

    /** Runs the shutdown's closing of the store; a spool that could not be written makes the exit status 1. */
    void closing(Runnable close) {
        try {
            close.run();
        } catch (IllegalStateException e) {
            failed = true;
            log.error("Shutdown lost accounting records: {}", e.getMessage());
        }
    }

    int exitCode() {
        return failed ? 1 : 0;
    }
}

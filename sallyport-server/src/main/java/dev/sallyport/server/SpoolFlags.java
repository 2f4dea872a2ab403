package dev.sallyport.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code serve --spool-dir DIR} (config key {@code spool-dir}): where the PostgreSQL store keeps
 * the accounting records it could not write before shutdown, to write them on the next start.
 *
 * <p>Default: a directory {@code spool} beside the {@code --config} file, or in the working
 * directory without one. The standalone server always has a spool, unlike the library: an
 * operator who stops it during a database outage expects the sessions to be accounted, and the
 * directory is created only when a shutdown needs it, so a server that never meets an outage
 * leaves nothing behind. A spool that cannot be written is an ERROR and exit status 1.
 */
final class SpoolFlags {

    private static final Logger log = LoggerFactory.getLogger(SpoolFlags.class);

    @Option(names = "--spool-dir", paramLabel = "DIR", description = "Where accounting records not written to "
            + "PostgreSQL at shutdown are kept and written on the next start (default: 'spool' beside --config, "
            + "or in the working directory).")
    Path spoolDir;

    private volatile boolean failed;

    /** Adds the spool directory to the {@code jdbc} store's settings. */
    void apply(Map<String, String> settings, Path config) {
        settings.put("spoolDir", directory(config).toString());
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

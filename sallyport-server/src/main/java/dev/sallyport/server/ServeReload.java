package dev.sallyport.server;

import dev.sallyport.auth.jdbc.JdbcStore;
import dev.sallyport.core.ProxyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code serve} on SIGHUP ({@code kill -HUP PID}, {@code systemctl reload}): reads the command
 * line again as at start, the {@code --config} file and the {@code --user-file} included, checks
 * it the same way, and hands it to {@link ProxyManager#reload}, which applies rules, users,
 * default limits and TLS certificates to new sessions. A configuration that does not parse or
 * check leaves the running one untouched and is reported in one ERROR line naming the key and,
 * for the config file, its line. The signal comes through {@code sun.misc.Signal} (the JDK has
 * no supported API for it; the standalone server already takes SIGTERM and SIGINT that way);
 * each reload runs on a thread of its own, one at a time.
 */
final class ServeReload {

    private static final Logger log = LoggerFactory.getLogger(ServeReload.class);
    private static final Pattern FLAG = Pattern.compile("--(?:no-)?([a-z0-9][a-z0-9-]*)");

    private final ServeCommand running;
    private final ProxyManager proxy;
    private final JdbcStore store;

    private ServeReload(ServeCommand running, ProxyManager proxy, JdbcStore store) {
        this.running = running;
        this.proxy = proxy;
        this.store = store;
    }

    /** Reloads on each SIGHUP from now on. */
    static void onSighup(ServeCommand running, ProxyManager proxy, JdbcStore store) {
        ServeReload reload = new ServeReload(running, proxy, store);
        try {
            SignalHandler before = Signal.handle(new Signal("HUP"), signal -> new Thread(reload::reload, "sallyport-reload").start());
            if (before == SignalHandler.SIG_IGN) {
                // The JVM keeps a signal ignored that the process was started ignoring, and installs nothing.
                log.warn("No reload on SIGHUP: this process was started with SIGHUP ignored (nohup?); restart it to apply "
                        + "configuration changes, or start it without nohup");
            }
        } catch (IllegalArgumentException e) {
            // -Xrs, or a platform without SIGHUP: the server runs, without reload.
            log.warn("No reload on SIGHUP: {}", e.getMessage());
        }
    }

    /** Reads and applies the configuration again; returns whether it was applied. */
    synchronized boolean reload() {
        log.info("Reloading the configuration (SIGHUP)");
        String[] arguments = running.secrets.arguments;
        Path config = running.config;
        try {
            if (arguments == null) {
                throw new IllegalStateException("the command line is unknown (expected: serve started by Main)");
            }
            CommandLine line = new CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
            CommandLine.ParseResult result = line.parseArgs(ConfigFile.expand(arguments));
            ServeCommand next = (ServeCommand) result.subcommand().commandSpec().userObject();
            config = next.config;
            next.secrets.arguments = arguments;
            next.secrets.stdinLines = running.secrets.stdinLines;
            next.secrets.warn = false;
            next.preflight();
            List<String> restart = proxy.reload(next.configure(store));
            log.info("Configuration reloaded{}", restart.isEmpty() ? "" : "; needing a restart: " + restart);
            return true;
        } catch (ConfigFile.UsageException | CommandLine.ParameterException | IllegalArgumentException
                 | IllegalStateException e) {
            log.error("Reload failed, the running configuration is unchanged: {}{}", Main.oneLine(e), where(e, config));
            return false;
        }
    }

    /** {@code " (FILE line N: key)"} for the config file's line of the key the message names, or "". */
    static String where(Exception e, Path config) {
        String message = Main.oneLine(e);
        if (config == null || message.contains(" line ")) {
            return "";
        }
        Matcher flag = FLAG.matcher(message);
        String key = flag.find() ? flag.group(1) : null;
        Matcher unknown = Pattern.compile("unknown key '([^']+)'").matcher(message);
        if (unknown.find()) {
            key = unknown.group(1);
        } else if ("tls".equals(key) || message.startsWith("tls:")) {
            key = "tls-cert";
        }
        if (key == null) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(config);
            for (int i = 0; i < lines.size(); i++) {
                String text = lines.get(i).strip();
                int equals = text.indexOf('=');
                if (equals > 0 && text.substring(0, equals).strip().equals(key)) {
                    return " (" + config + " line " + (i + 1) + ": " + key + ")";
                }
            }
        } catch (IOException ignored) {
            // The message stands on its own.
        }
        return "";
    }
}

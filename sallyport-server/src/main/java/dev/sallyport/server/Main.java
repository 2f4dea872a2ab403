package dev.sallyport.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;

/**
 * The standalone server's command line: {@code sallyport serve [flags]}.
 *
 * <p>Exit codes: 0 ok, 1 runtime failure (for example a port already in use), 2 usage error.
 */
@Command(name = "sallyport", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "SOCKS5 and HTTP forward proxy.",
        subcommands = {ServeCommand.class, MigrateCommand.class, UsersCommand.class, StatsCommand.class, StatusCommand.class,
            SessionsCommand.class, PruneCommand.class, InstallCommand.class, VersionCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:runtime failure", "2:usage error"})
public final class Main implements Runnable {

    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        // A server in production does not sample buffers for leak reports unless asked to
        // (-Dio.netty.leakDetection.level=...); tests run with PARANOID.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        // The console's own encoding, as PrintWriter(OutputStream) chose implicitly.
        Charset console = Charset.defaultCharset();
        System.exit(run(args, new PrintWriter(new OutputStreamWriter(System.out, console), true),
                new PrintWriter(new OutputStreamWriter(System.err, console), true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        String[] original = args;
        try {
            args = ConfigFile.expand(args);
        } catch (ConfigFile.UsageException e) {
            err.println("sallyport: " + e.getMessage());
            return EXIT_USAGE;
        }
        CommandLine commandLine = new CommandLine(new Main())
                .setOverwrittenOptionsAllowed(true)
                .setOut(out)
                .setErr(err)
                .setParameterExceptionHandler((e, ignored) -> {
                    err.println("sallyport: " + e.getMessage().lines().findFirst().orElse("invalid arguments")
                            + " (see --help)");
                    return EXIT_USAGE;
                })
                .setExecutionExceptionHandler((e, line, result) -> {
                    err.println("sallyport: " + oneLine(e));
                    return EXIT_FAILURE;
                });
        // What a reload (SIGHUP) reads again, --config and all.
        ((ServeCommand) commandLine.getSubcommands().get("serve").getCommand()).secrets.arguments = original;
        return commandLine.execute(args);
    }

    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return message.lines().findFirst().orElse(e.toString());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: serve");
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"sallyport " + (version == null ? "development build" : version)};
        }
    }
}

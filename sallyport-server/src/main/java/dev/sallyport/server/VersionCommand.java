package dev.sallyport.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code sallyport version}: prints the version. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version and exit.")
final class VersionCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(new Main.Version().getVersion()[0]);
        return 0;
    }
}

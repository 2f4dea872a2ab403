package dev.sallyport.server;

import dev.sallyport.auth.jdbc.JdbcStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/**
 * {@code sallyport migrate}: creates or migrates the schema and exits, so that the role that owns
 * the schema runs the DDL once and every other command can run with {@code --no-migrate} as a
 * role without DDL rights. Safe to run while servers are up and from several places at once
 * (the migration takes a lock and is one transaction).
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Create or migrate the PostgreSQL schema, then exit. Run it as the schema's owner; "
                + "serve, users and stats can then run with --no-migrate as roles without DDL rights."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the schema is current", "1:the database failed (the message names why: unreachable, "
                + "missing database, bad login, too many connections, permission denied)", "2:usage error"})
final class MigrateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    JdbcOptions jdbc;

    @Override
    public Integer call() {
        if (jdbc.noMigrate) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--no-migrate: cannot be combined with migrate");
        }
        try (JdbcStore ignored = jdbc.open(spec.commandLine())) {
            spec.commandLine().getOut().println("schema current");
        }
        return 0;
    }
}

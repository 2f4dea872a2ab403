package dev.sallyport.server;

import dev.sallyport.api.InvalidSettingException;
import dev.sallyport.auth.jdbc.JdbcStore;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code --jdbc-*} flags shared by {@code users}, {@code stats} and {@code migrate}: which
 * PostgreSQL holds the users, the access log and the usage. The password may come from the
 * environment so that it does not show in the process list.
 */
final class JdbcOptions {

    @Option(names = "--jdbc-url", paramLabel = "URL", required = true,
            description = "PostgreSQL JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/sallyport.")
    String url;

    @Option(names = "--jdbc-user", paramLabel = "USER", description = "Database user (default: the URL's).")
    String user;

    @Option(names = "--jdbc-password", paramLabel = "PASSWORD", defaultValue = "${env:SALLYPORT_JDBC_PASSWORD}",
            description = "Database password (default: $SALLYPORT_JDBC_PASSWORD).")
    String password;

    @Option(names = "--no-migrate", description = "Do not create or migrate the schema, only check it is current "
            + "(for a role without DDL rights; 'sallyport migrate' as the owner first).")
    boolean noMigrate;

    /** The settings of the {@code jdbc} auth and metrics providers. */
    Map<String, String> settings() {
        Map<String, String> settings = settings(url, user, password);
        if (noMigrate) {
            settings.put("migrate", "false");
        }
        return settings;
    }

    /** The connection settings of a store: an empty password is none. */
    static Map<String, String> settings(String url, String user, String password) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("url", url);
        if (user != null) {
            settings.put("user", user);
        }
        if (password != null && !password.isEmpty()) {
            settings.put("password", password);
        }
        return settings;
    }

    /** Opens the store (migrating the schema unless --no-migrate); usage errors name the flag. */
    JdbcStore open(CommandLine commandLine) {
        try {
            return JdbcStore.fromSettings(settings());
        } catch (InvalidSettingException e) {
            throw new CommandLine.ParameterException(commandLine, flag(e));
        }
    }

    /** The refusal of a setting as the refusal of its flag: {@code --jdbc-url: missing (expected: ...)}. */
    static String flag(InvalidSettingException e) {
        return DatabaseFlags.flag(e.setting()) + ": " + e.problem();
    }
}

package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.ConnectionException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * What a database failure means for an operator, named once here for every log line and
 * command-line message: the kinds an operator fixes outside Sallyport (the database, the role,
 * the network, the pool) and {@link #OTHER} for a statement that failed on its own. Each kind
 * reads as it is printed, followed by the SQLState; server messages are never repeated (their
 * details may hold row values).
 */
enum DbError {

    MISSING_DATABASE("database does not exist"),
    BAD_LOGIN("login refused (bad user name or password)"),
    TOO_MANY_CONNECTIONS("too many connections (the role's or the server's limit)"),
    PERMISSION_DENIED("permission denied (the database role lacks a grant)"),
    UNREACHABLE("database unreachable"),
    POOL_TIMEOUT("no pooled connection free within connectionTimeoutMillis"),
    OTHER("");

    private final String text;

    DbError(String text) {
        this.text = text;
    }

    /** The kind of {@code e}, from the first SQLState in its causes. */
    static DbError of(Throwable e) {
        DbError found = OTHER;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return ofState(sql.getSQLState());
            }
            if (t instanceof SQLTransientConnectionException) {
                // HikariCP's "request timed out" with no connection failure behind it: the pool was busy.
                found = POOL_TIMEOUT;
            } else if (t instanceof ConnectionException && found == OTHER) {
                // Jdbi's wrapper; the driver's SQLState below it, if any, says more.
                found = UNREACHABLE;
            }
        }
        return found;
    }

    private static DbError ofState(String state) {
        if (state.equals("3D000")) {
            return MISSING_DATABASE;
        }
        if (state.startsWith("28")) {
            return BAD_LOGIN;
        }
        if (state.equals("53300")) {
            return TOO_MANY_CONNECTIONS;
        }
        if (state.equals("42501")) {
            return PERMISSION_DENIED;
        }
        // 08 connection exception, 57P admin shutdown / cannot connect now, 53 other resources.
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
            return UNREACHABLE;
        }
        return OTHER;
    }

    /** The kind as printed, e.g. {@code database does not exist}; empty for {@link #OTHER}. */
    String text() {
        return text;
    }
}

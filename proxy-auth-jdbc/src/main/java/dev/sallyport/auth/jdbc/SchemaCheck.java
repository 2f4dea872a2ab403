package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;

/**
 * What a store that does not migrate checks instead: that the schema is at least the version
 * this code expects, so that a role without DDL rights fails at start with a message saying what
 * to run, not later with "relation does not exist" on a login. Read-only: one {@code SELECT} on
 * {@code sallyport_schema_history}.
 */
final class SchemaCheck {

    private static final Logger log = LoggerFactory.getLogger(SchemaCheck.class);

    /** What to run, in every refusal. */
    static final String REMEDY = "expected: migrate it first as the schema's owner, 'bin/sallyport migrate' or a JdbcStore "
            + "built with migrate(true)";

    private SchemaCheck() {
    }

    /**
     * Checks the schema's version. A database that cannot be reached now is logged at WARN and
     * let pass (the store serves once it is back, as a migrating one would have failed to start);
     * anything else that keeps the check from answering is an error.
     *
     * @throws IllegalStateException when the schema is missing or older than {@link Schema#latest()},
     *                               or its version cannot be read (e.g. permission denied)
     */
    static void require(Jdbi jdbi) {
        int version;
        try {
            version = jdbi.withHandle(h -> h.createQuery(
                    "SELECT coalesce(max(version), 0) FROM sallyport_schema_history").mapTo(Integer.class).one());
        } catch (RuntimeException e) {
            DbError kind = DbError.of(e);
            if (kind == DbError.UNREACHABLE || kind == DbError.POOL_TIMEOUT) {
                log.warn("jdbc: schema version not checked{}", Db.describe(e));
                return;
            }
            if (undefinedTable(e)) {
                throw new IllegalStateException("jdbc: schema missing: no sallyport_schema_history table (" + REMEDY + ")");
            }
            throw Db.wrap("schema version check", e);
        }
        if (version < Schema.latest()) {
            throw new IllegalStateException("jdbc: schema at version " + version + ", this build needs " + Schema.latest()
                    + " (" + REMEDY + ")");
        }
    }

    private static boolean undefinedTable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState().equals("42P01");
            }
        }
        return false;
    }
}

package dev.sallyport.auth.jdbc;

import dev.sallyport.api.UserNames;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The attributes of users: {@code sallyport_users.attributes}, a JSON object of strings (schema
 * version 6). Read with every user row by {@link JdbcUsers}, so a login's principal carries them;
 * changed here in one statement that replaces the named keys and removes those given empty. The
 * update fires the users' trigger like any other change, so every instance forgets the user's
 * cached logins (within about a second through the notification, at the latest after the auth
 * cache's TTL); this store's own listeners hear it at once.
 */
final class JdbcAttributes {

    /** The attributes as two arrays in the same (key) order, for {@link #read}. */
    static final String COLUMNS = "ARRAY(SELECT e.key FROM jsonb_each_text(attributes) e ORDER BY e.key COLLATE \"C\") "
            + "AS attribute_keys, ARRAY(SELECT e.value FROM jsonb_each_text(attributes) e ORDER BY e.key COLLATE \"C\") "
            + "AS attribute_values";

    private final Db db;
    private final JdbcUsers users;

    JdbcAttributes(Db db, JdbcUsers users) {
        this.db = db;
        this.users = users;
    }

    /**
     * Sets each key of {@code changes} to its value, removing the keys given an empty value;
     * completes with the user's attributes after the change.
     */
    CompletionStage<Map<String, String>> change(String name, Map<String, String> changes) {
        List<String> keys = new ArrayList<>();
        List<String> values = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        try {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(changes, "changes");
            for (Map.Entry<String, String> change : changes.entrySet()) {
                UserAttributes.validate(change.getKey(), change.getValue());
                if (change.getValue().isEmpty()) {
                    removed.add(change.getKey());
                } else {
                    keys.add(change.getKey());
                    values.add(change.getValue());
                }
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!UserNames.plausible(name)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("name: no user '" + name + "'"));
        }
        return db.submit("set attributes", () -> {
            Map<String, String> after = db.jdbi.withHandle(h -> h.createQuery("""
                            UPDATE sallyport_users
                            SET attributes = (attributes - CAST(:removed AS text[]))
                                    || jsonb_object(CAST(:keys AS text[]), CAST(:values AS text[])),
                                updated_at = now()
                            WHERE name = :name RETURNING\s""" + COLUMNS)
                    .bind("name", name)
                    .bind("removed", removed.toArray(String[]::new))
                    .bind("keys", keys.toArray(String[]::new))
                    .bind("values", values.toArray(String[]::new))
                    .map((rs, ctx) -> read(rs)).findOne())
                    .orElseThrow(() -> new IllegalArgumentException("name: no user '" + name + "'"));
            users.fire(listener -> listener.userChanged(name));
            return after;
        });
    }

    /** The attributes of every user that has any, by name ("C" order). */
    CompletionStage<Map<String, Map<String, String>>> all() {
        return db.submit("list attributes", () -> db.jdbi.withHandle(h -> {
            Map<String, Map<String, String>> all = new LinkedHashMap<>();
            h.createQuery("SELECT name, " + COLUMNS + " FROM sallyport_users WHERE attributes <> '{}' "
                            + "ORDER BY name COLLATE \"C\"")
                    .map((rs, ctx) -> Map.entry(rs.getString("name"), read(rs)))
                    .forEach(e -> all.put(e.getKey(), e.getValue()));
            return Collections.unmodifiableMap(all);
        }));
    }

    /** The attributes of the current row of a query that selects {@link #COLUMNS}; sorted, unmodifiable. */
    static Map<String, String> read(ResultSet rs) throws SQLException {
        String[] keys = strings(rs.getArray("attribute_keys"));
        String[] values = strings(rs.getArray("attribute_values"));
        if (keys.length == 0) {
            return Map.of();
        }
        Map<String, String> attributes = new TreeMap<>();
        for (int i = 0; i < keys.length; i++) {
            attributes.put(keys[i], values[i]);
        }
        return Collections.unmodifiableMap(attributes);
    }

    private static String[] strings(Array array) throws SQLException {
        if (array == null) {
            return new String[0];
        }
        try {
            return (String[]) array.getArray();
        } finally {
            array.free();
        }
    }
}

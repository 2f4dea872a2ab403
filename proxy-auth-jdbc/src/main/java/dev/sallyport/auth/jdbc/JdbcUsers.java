package dev.sallyport.auth.jdbc;

import dev.sallyport.api.UserNames;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Principal;
import dev.sallyport.api.User;
import dev.sallyport.api.UserStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Users in {@code sallyport_users}: the {@link AuthBackend} and the {@link UserStore} over one
 * table. Every database call and every PBKDF2 computation runs on {@link Db}'s executor; the
 * connection is given back before the slow hash is computed.
 */
final class JdbcUsers implements AuthBackend, UserStore {

    private static final Logger log = LoggerFactory.getLogger(JdbcUsers.class);

    private static final String COLUMNS = "name, password_hash, token_hash, max_sessions, sessions_per_second, "
            + "upload_bytes_per_second, download_bytes_per_second, enabled, created_at, updated_at, credential_version, "
            + JdbcAttributes.COLUMNS;

    /** A row with its secrets' hashes; never leaves this class. */
    private record Row(User user, String passwordHash, String tokenHash, long credentialVersion,
                       Map<String, String> attributes) {
        @Override
        public String toString() {
            return "Row[" + user + "]";
        }
    }

    private static final RowMapper<Row> ROW = (rs, ctx) -> new Row(user(rs), rs.getString("password_hash"),
            rs.getString("token_hash"), rs.getLong("credential_version"), JdbcAttributes.read(rs));

    /** Checks a password against a stored hash: {@link PasswordHashes#verify} (tests count the calls). */
    @FunctionalInterface
    interface Verifier {
        boolean verify(String password, String storedHash);
    }

    private final Db db;
    private final Verifier verifier;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    JdbcUsers(Db db) {
        this(db, PasswordHashes::verify);
    }

    JdbcUsers(Db db, Verifier verifier) {
        this.db = db;
        this.verifier = verifier;
    }

    @Override
    public String name() {
        return "jdbc";
    }

    // ---- AuthBackend ----

    @Override
    public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
        if (credentials instanceof Credentials.BearerToken bearer) {
            String hash = PasswordHashes.tokenHash(bearer.token());
            return db.submit("token login", () -> {
                Optional<Row> row = db.jdbi.withHandle(h -> h.createQuery(
                                "SELECT " + COLUMNS + " FROM sallyport_users WHERE token_hash = :hash")
                        .bind("hash", hash).map(ROW).findOne());
                // The index lookup is not constant-time, but what it could leak is a prefix of a
                // SHA-256 of 256 random bits; the final comparison is constant-time anyway.
                return row.filter(r -> PasswordHashes.sameHash(hash, r.tokenHash())).map(JdbcUsers::result)
                        .orElse(AuthResult.notMine());
            });
        }
        if (!(credentials instanceof Credentials.UsernamePassword up)) {
            return CompletableFuture.completedFuture(AuthResult.notMine());
        }
        if (!UserNames.plausible(up.username())) {
            // No stored user can have this name (NUL, lone surrogates, too long): no round trip.
            return CompletableFuture.completedFuture(AuthResult.notMine());
        }
        return db.submit("password login", () -> {
            Optional<Row> found = db.jdbi.withHandle(h -> findRow(h, up.username()));
            if (found.isEmpty()) {
                // Equal work for an unknown name: one verification with the same parameters.
                verifier.verify(up.password(), Secrets.UNKNOWN_USER_HASH);
                return AuthResult.notMine();
            }
            Row row = found.get();
            // A token works as the password too (SOCKS5 has no other place to carry it).
            if (PasswordHashes.sameHash(PasswordHashes.tokenHash(up.password()), row.tokenHash())
                    || verifier.verify(up.password(), row.passwordHash())) {
                return result(row);
            }
            return AuthResult.failure("bad_password");
        });
    }

    private static AuthResult result(Row row) {
        if (!row.user().enabled()) {
            return AuthResult.failure("disabled");
        }
        // The version lets core close exactly the sessions a rotation made stale (core strips it).
        Map<String, String> attributes = new java.util.HashMap<>();
        row.attributes().forEach((key, value) -> {
            // Core's own keys cannot be stored through this store; one written by plain SQL is ignored.
            if (!key.startsWith(UserAttributes.RESERVED_PREFIX)) {
                attributes.put(key, value);
            }
        });
        attributes.put(Principal.CREDENTIAL_VERSION, Long.toString(row.credentialVersion()));
        return AuthResult.success(new Principal(row.user().name(), row.user().limits(), attributes));
    }

    // ---- UserStore ----

    @Override
    public CompletionStage<NewCredentials> create(String name, String password, Limits limits) {
        try {
            UserNames.validate(name);
            Objects.requireNonNull(limits, "limits");
            if (password != null) {
                UserNames.validatePassword(password);
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        String pw = password == null ? PasswordHashes.randomSecret(18) : password;
        String token = PasswordHashes.randomSecret(32);
        return db.submit("create user", () -> {
            String passwordHash = PasswordHashes.hash(pw);
            Optional<Row> created = db.jdbi.withHandle(h -> h.createQuery("""
                            INSERT INTO sallyport_users (name, password_hash, token_hash, max_sessions,
                                sessions_per_second, upload_bytes_per_second, download_bytes_per_second)
                            VALUES (:name, :password_hash, :token_hash, :max_sessions, :sessions_per_second,
                                :upload, :download)
                            ON CONFLICT (name) DO NOTHING
                            RETURNING\s""" + COLUMNS)
                    .bind("name", name)
                    .bind("password_hash", passwordHash)
                    .bind("token_hash", PasswordHashes.tokenHash(token))
                    .bind("max_sessions", limits.maxSessions())
                    .bind("sessions_per_second", limits.sessionsPerSecond())
                    .bind("upload", limits.uploadBytesPerSecond())
                    .bind("download", limits.downloadBytesPerSecond())
                    .map(ROW).findOne());
            Row row = created.orElseThrow(() -> new IllegalArgumentException("name: user '" + name + "' already exists"));
            // New credentials: sessions of an earlier user of this name (deleted meanwhile) close.
            fire(listener -> listener.credentialsChanged(name, row.credentialVersion()));
            return new NewCredentials(row.user(), pw, token);
        });
    }

    @Override
    public CompletionStage<List<User>> list() {
        return db.submit("list users", () -> db.jdbi.withHandle(h -> h.createQuery(
                "SELECT " + COLUMNS + " FROM sallyport_users ORDER BY name COLLATE \"C\"").map(ROW).list())
                .stream().map(Row::user).toList());
    }

    @Override
    public CompletionStage<Optional<User>> find(String name) {
        if (name == null) {
            return CompletableFuture.failedFuture(new NullPointerException("name"));
        }
        if (!UserNames.plausible(name)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return db.submit("find user", () -> db.jdbi.withHandle(h -> findRow(h, name)).map(Row::user));
    }

    @Override
    public CompletionStage<User> update(String name, Limits limits) {
        if (limits == null) {
            return CompletableFuture.failedFuture(new NullPointerException("limits"));
        }
        return change("update user", name, h -> h.createQuery("""
                        UPDATE sallyport_users SET max_sessions = :max_sessions,
                            sessions_per_second = :sessions_per_second, upload_bytes_per_second = :upload,
                            download_bytes_per_second = :download, updated_at = now()
                        WHERE name = :name RETURNING\s""" + COLUMNS)
                .bind("name", name)
                .bind("max_sessions", limits.maxSessions())
                .bind("sessions_per_second", limits.sessionsPerSecond())
                .bind("upload", limits.uploadBytesPerSecond())
                .bind("download", limits.downloadBytesPerSecond())
                .map(ROW).findOne()).thenApply(Row::user);
    }

    @Override
    public CompletionStage<User> enable(String name, boolean enabled) {
        return change("enable user", name, h -> h.createQuery(
                        "UPDATE sallyport_users SET enabled = :enabled, updated_at = now() WHERE name = :name RETURNING "
                                + COLUMNS)
                .bind("name", name)
                .bind("enabled", enabled)
                .map(ROW).findOne()).thenApply(Row::user);
    }

    @Override
    public CompletionStage<NewCredentials> rotate(String name) {
        String password = PasswordHashes.randomSecret(18);
        String token = PasswordHashes.randomSecret(32);
        return change("rotate user", name, true, () -> PasswordHashes.hash(password), (h, passwordHash) -> h.createQuery("""
                        UPDATE sallyport_users SET password_hash = :password_hash, token_hash = :token_hash,
                            updated_at = now()
                        WHERE name = :name RETURNING\s""" + COLUMNS)
                .bind("name", name)
                .bind("password_hash", passwordHash)
                .bind("token_hash", PasswordHashes.tokenHash(token))
                .map(ROW).findOne()).thenApply(row -> new NewCredentials(row.user(), password, token));
    }

    @Override
    public CompletionStage<Boolean> delete(String name) {
        if (name == null) {
            return CompletableFuture.failedFuture(new NullPointerException("name"));
        }
        if (!UserNames.plausible(name)) {
            return CompletableFuture.completedFuture(false);
        }
        return db.submit("delete user", () -> {
            int deleted = db.jdbi.withHandle(h -> h.createUpdate("DELETE FROM sallyport_users WHERE name = :name")
                    .bind("name", name).execute());
            if (deleted > 0) {
                changed(name);
            }
            return deleted > 0;
        });
    }

    /** Fired for every change made through this store, and by {@link Notifications} for the others'. */
    @Override
    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @FunctionalInterface
    private interface Change<P> {
        Optional<Row> apply(Handle handle, P prepared);
    }

    private CompletionStage<Row> change(String operation, String name, Function<Handle, Optional<Row>> change) {
        return change(operation, name, false, () -> null, (h, ignored) -> change.apply(h));
    }

    /**
     * Runs {@code prepare} (slow work such as hashing) on the executor before taking a connection;
     * {@code credentials}: the change replaces the password and token.
     */
    private <P> CompletionStage<Row> change(String operation, String name, boolean credentials, Supplier<P> prepare,
                                            Change<P> change) {
        if (name == null) {
            return CompletableFuture.failedFuture(new NullPointerException("name"));
        }
        if (!UserNames.plausible(name)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("name: no user '" + name + "'"));
        }
        return db.submit(operation, () -> {
            P prepared = prepare.get();
            Row row = db.jdbi.withHandle(h -> change.apply(h, prepared))
                    .orElseThrow(() -> new IllegalArgumentException("name: no user '" + name + "'"));
            if (credentials) {
                fire(listener -> listener.credentialsChanged(name, row.credentialVersion()));
            } else {
                changed(name);
            }
            return row;
        });
    }

    private static Optional<Row> findRow(Handle h, String name) {
        return h.createQuery("SELECT " + COLUMNS + " FROM sallyport_users WHERE name = :name")
                .bind("name", name).map(ROW).findOne();
    }

    private void changed(String name) {
        fire(listener -> listener.userChanged(name));
    }

    /** Tells every listener of {@code event}; one that throws is logged and the others still hear. */
    void fire(Consumer<Listener> event) {
        for (Listener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("User store listener {} threw", listener, e);
            }
        }
    }

    private static User user(ResultSet rs) throws SQLException {
        Limits limits = new Limits(rs.getInt("max_sessions"), rs.getInt("sessions_per_second"),
                rs.getLong("upload_bytes_per_second"), rs.getLong("download_bytes_per_second"));
        return new User(rs.getString("name"), limits, rs.getBoolean("enabled"), instant(rs, "created_at"),
                instant(rs, "updated_at"));
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    @Override
    public String toString() {
        return "JdbcUsers";
    }
}

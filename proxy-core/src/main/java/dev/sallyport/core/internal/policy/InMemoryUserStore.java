package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.NewCredentials;
import dev.sallyport.api.PasswordHashes;
import dev.sallyport.api.Principal;
import dev.sallyport.api.User;
import dev.sallyport.api.UserNames;
import dev.sallyport.api.UserStore;
import dev.sallyport.core.internal.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded default: users in memory, passwords as PBKDF2 hashes, tokens as SHA-256.
 * Password checks run on a small bounded executor of its own, never on an event loop; a full
 * queue answers "overloaded" (core neither caches nor counts it) rather than queueing without
 * bound, and a check whose stage was cancelled before its turn is skipped. A name that is not
 * here costs one PBKDF2 verification all the same, against a hash with the same parameters, so
 * the time of an answer does not tell which names exist.
 */
public final class InMemoryUserStore implements UserStore, AuthBackend, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InMemoryUserStore.class);

    /** {@code version}: of the password and token, drawn anew when they change (and for a new user). */
    private record Entry(User user, StoredPassword password, String tokenHash, long version) {
        @Override
        public String toString() {
            return "Entry[" + user.name() + ", version " + version + "]";
        }
    }

    /** Credential versions only grow, across stores and a user deleted and created again. */
    private static final AtomicLong VERSIONS = new AtomicLong();

    /** Checks a password against a stored hash: {@link PasswordHashes#verify} (tests count the calls). */
    @FunctionalInterface
    interface Verifier {
        boolean verify(String password, String storedHash);
    }

    /** The hash unknown names are verified against: made once, on first use, on a hashing thread. */
    private static final class UnknownUser {
        static final String HASH = PasswordHashes.hash(PasswordHashes.randomSecret(18));
    }

    private final Map<String, Entry> users = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Clock clock;
    private final Verifier verifier;
    private final ThreadPoolExecutor hashing;

    public InMemoryUserStore() {
        this(Threads.daemon("sallyport-auth-"));
    }

    /** A store whose password checks run on (at most two) threads of {@code threads}. */
    public InMemoryUserStore(ThreadFactory threads) {
        this(Clock.systemUTC(), PasswordHashes::verify, threads);
    }

    public InMemoryUserStore(Clock clock) {
        this(clock, PasswordHashes::verify, Threads.daemon("sallyport-auth-"));
    }

    InMemoryUserStore(Clock clock, Verifier verifier) {
        this(clock, verifier, Threads.daemon("sallyport-auth-"));
    }

    private InMemoryUserStore(Clock clock, Verifier verifier, ThreadFactory threads) {
        this.clock = clock;
        this.verifier = verifier;
        this.hashing = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), threads);
        this.hashing.allowCoreThreadTimeOut(true);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
        if (credentials instanceof Credentials.BearerToken token) {
            String hash = PasswordHashes.tokenHash(token.token());
            for (Entry entry : users.values()) {
                if (PasswordHashes.sameHash(hash, entry.tokenHash())) {
                    return CompletableFuture.completedFuture(result(entry, entry.version()));
                }
            }
            return CompletableFuture.completedFuture(AuthResult.notMine());
        }
        if (!(credentials instanceof Credentials.UsernamePassword up)) {
            return CompletableFuture.completedFuture(AuthResult.notMine());
        }
        Entry entry = users.get(up.username());
        // A token works as the password too (SOCKS5 has no other place to carry it).
        if (entry != null && PasswordHashes.sameHash(PasswordHashes.tokenHash(up.password()), entry.tokenHash())) {
            return CompletableFuture.completedFuture(result(entry, entry.version()));
        }
        CompletableFuture<AuthResult> result = new CompletableFuture<>();
        try {
            hashing.execute(() -> {
                if (result.isDone()) {
                    return; // cancelled while it waited: nobody wants the answer any more
                }
                if (entry == null) {
                    verifier.verify(up.password(), UnknownUser.HASH);
                    result.complete(AuthResult.notMine());
                } else if (!entry.password().matches(up.password(), verifier)) {
                    result.complete(AuthResult.failure("bad_password"));
                } else {
                    // The state and limits as they are now, the version of the password checked;
                    // a user deleted during the check is not here any more.
                    Entry now = users.get(up.username());
                    result.complete(now == null ? AuthResult.notMine() : result(now, entry.version()));
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("Password checks are queued beyond 1024; refusing a login");
            result.complete(AuthResult.failure(AuthChain.OVERLOADED));
        }
        return result;
    }

    private static AuthResult result(Entry entry, long version) {
        if (!entry.user().enabled()) {
            return AuthResult.failure("disabled");
        }
        return AuthResult.success(new Principal(entry.user().name(), entry.user().limits(),
                Map.of(Principal.CREDENTIAL_VERSION, Long.toString(version))));
    }

    @Override
    public CompletionStage<NewCredentials> create(String name, String password, Limits limits) {
        try {
            UserNames.validate(name);
            Objects.requireNonNull(limits, "limits");
            if (password != null) {
                UserNames.validatePassword(password);
            }
            String pw = password == null ? PasswordHashes.randomSecret(18) : password;
            String token = PasswordHashes.randomSecret(32);
            Instant now = clock.instant();
            User user = new User(name, limits, true, now, now);
            Entry entry = new Entry(user, StoredPassword.hashed(PasswordHashes.hash(pw)), PasswordHashes.tokenHash(token),
                    VERSIONS.incrementAndGet());
            if (users.putIfAbsent(name, entry) != null) {
                throw new IllegalArgumentException("name: user '" + name + "' already exists");
            }
            // New credentials: sessions of an earlier user of this name (deleted meanwhile) close.
            fire(listener -> listener.credentialsChanged(name, entry.version()));
            return CompletableFuture.completedFuture(new NewCredentials(user, pw, token));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Sets the password of {@code name} as a configuration gave it: creates the user (enabled, no
     * limits of their own) when absent, else replaces the password under a new credential version,
     * so that their sessions opened with the old one close. Hashes nothing: a plaintext password
     * is hashed on its first check.
     */
    public void configure(String name, StoredPassword password) {
        UserNames.validate(name);
        Objects.requireNonNull(password, "password");
        Instant now = clock.instant();
        Entry entry = users.compute(name, (k, e) -> e == null
                ? new Entry(new User(name, Limits.NONE, true, now, now), password,
                        PasswordHashes.tokenHash(PasswordHashes.randomSecret(32)), VERSIONS.incrementAndGet())
                : new Entry(e.user(), password, e.tokenHash(), VERSIONS.incrementAndGet()));
        fire(listener -> listener.credentialsChanged(name, entry.version()));
    }

    @Override
    public CompletionStage<List<User>> list() {
        return CompletableFuture.completedFuture(users.values().stream().map(Entry::user)
                .sorted(Comparator.comparing(User::name)).toList());
    }

    @Override
    public CompletionStage<Optional<User>> find(String name) {
        Entry entry = users.get(Objects.requireNonNull(name, "name"));
        return CompletableFuture.completedFuture(Optional.ofNullable(entry).map(Entry::user));
    }

    @Override
    public CompletionStage<User> update(String name, Limits limits) {
        Objects.requireNonNull(limits, "limits");
        return change(name, e -> new Entry(new User(name, limits, e.user().enabled(), e.user().created(), clock.instant()),
                e.password(), e.tokenHash(), e.version())).thenApply(Entry::user);
    }

    @Override
    public CompletionStage<User> enable(String name, boolean enabled) {
        return change(name, e -> new Entry(new User(name, e.user().limits(), enabled, e.user().created(), clock.instant()),
                e.password(), e.tokenHash(), e.version())).thenApply(Entry::user);
    }

    @Override
    public CompletionStage<NewCredentials> rotate(String name) {
        String password = PasswordHashes.randomSecret(18);
        String token = PasswordHashes.randomSecret(32);
        return change(name, e -> new Entry(new User(name, e.user().limits(), e.user().enabled(), e.user().created(),
                clock.instant()), StoredPassword.hashed(PasswordHashes.hash(password)), PasswordHashes.tokenHash(token),
                VERSIONS.incrementAndGet()))
                .thenApply(e -> new NewCredentials(e.user(), password, token));
    }

    @Override
    public CompletionStage<Boolean> delete(String name) {
        boolean existed = users.remove(Objects.requireNonNull(name, "name")) != null;
        if (existed) {
            changed(name);
            // A tombstone version, announced like new credentials: a check that read the user
            // before the delete is refused when its verdict arrives, and nothing of it is cached.
            long tombstone = VERSIONS.incrementAndGet();
            fire(listener -> listener.credentialsChanged(name, tombstone));
        }
        return CompletableFuture.completedFuture(existed);
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private CompletionStage<Entry> change(String name, java.util.function.UnaryOperator<Entry> update) {
        Objects.requireNonNull(name, "name");
        long[] previous = {0};
        Entry updated = users.computeIfPresent(name, (k, e) -> {
            previous[0] = e.version();
            return update.apply(e);
        });
        if (updated == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("name: no user '" + name + "'"));
        }
        if (updated.version() != previous[0]) {
            fire(listener -> listener.credentialsChanged(name, updated.version()));
        } else {
            changed(name);
        }
        return CompletableFuture.completedFuture(updated);
    }

    private void changed(String name) {
        fire(listener -> listener.userChanged(name));
    }

    private void fire(java.util.function.Consumer<Listener> event) {
        for (Listener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("User store listener {} threw", listener, e);
            }
        }
    }

    @Override
    public void close() {
        hashing.shutdownNow();
    }

    @Override
    public String toString() {
        return "InMemoryUserStore[" + users.size() + " users]";
    }
}

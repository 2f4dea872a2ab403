package dev.sallyport.core.internal.policy;

import dev.sallyport.core.Ticker;
import dev.sallyport.core.internal.net.Addresses;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A login, start to end: the {@link LoginGuard}'s lockout, the auth cache, one shared check per
 * distinct credentials in flight, a slot reserved with the guard before a check runs, the fair
 * {@link LoginQueue} in front of the {@link AuthBackend} chain, then the verdict counted and (for
 * a failure) delayed by the back-off. Cache keys hold an HMAC of the secret under a per-process
 * random key, never the secret itself, so a heap dump shows no password.
 *
 * <p>A check that never got an answer (the queue was full, its callers left, a backend failed)
 * is neither cached nor counted as a failed login: only a backend's verdict is.
 */
public final class AuthChain {

    private static final Logger log = LoggerFactory.getLogger(AuthChain.class);

    /** A backend's failure reason that means "could not check now", not "wrong credentials". */
    static final String OVERLOADED = "overloaded";
    /**
     * The failure of a login turned away unchecked because failures and checks in flight already
     * reach a lockout limit: the client sees an ordinary failure; nothing is counted.
     */
    static final String LOGIN_LIMIT = "login_limit";
    private static final long OVERLOAD_WARNING_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final int MAX_LOGGED_USER = 64;
    /** The version of a principal whose backend reports none: older than every rotation. */
    public static final long NO_VERSION = -1;

    private final boolean required;
    private final AuthBackend[] backends;
    private final Cache<Key, Principal> cache;
    /** Recently refused credentials: answered without asking the backends again, for a shorter TTL. */
    private final Cache<Key, String> refused;
    private final byte[] hmacKey = new byte[32];
    private final FastThreadLocal<Mac> macs = new FastThreadLocal<>() {
        @Override
        protected Mac initialValue() throws GeneralSecurityException {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            return mac;
        }
    };
    private final Ticker ticker;
    private final LoginGuard guard;
    private final LoginQueue queue;
    private final ConcurrentHashMap<Key, Check> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong lastOverloadWarning;
    /** Backends whose last call failed: one WARN when one starts failing, one INFO when it answers again. */
    private final java.util.Set<AuthBackend> failing = ConcurrentHashMap.newKeySet();
    private final CredentialVersions versions;
    private final ChangeStamps stamps = new ChangeStamps();

    public AuthChain(boolean required, List<AuthBackend> backends, Duration cacheTtl, Duration negativeTtl, Ticker ticker,
                     LoginGuard guard, LoginQueue queue) {
        this.required = required;
        this.backends = backends.toArray(AuthBackend[]::new);
        this.cache = cacheTtl.isZero() ? null
                : Caffeine.newBuilder().ticker(ticker::read).expireAfterWrite(cacheTtl).maximumSize(100_000).build();
        this.refused = negativeTtl.isZero() || cacheTtl.isZero() ? null
                : Caffeine.newBuilder().ticker(ticker::read).expireAfterWrite(negativeTtl).maximumSize(100_000).build();
        this.ticker = ticker;
        this.guard = guard;
        this.queue = queue;
        this.lastOverloadWarning = new AtomicLong(ticker.read() - OVERLOAD_WARNING_NANOS);
        this.versions = new CredentialVersions(ticker);
        new SecureRandom().nextBytes(hmacKey);
    }

    public boolean required() {
        return required;
    }

    /**
     * {@code user} was disabled, deleted or edited (a change with no credential version): drops
     * their cached logins and fails their checks running now, which read them as they were.
     */
    public void userChanged(String user) {
        stamps.changed(user);
        invalidate(user);
    }

    /** Drops every cached login of {@code user}. */
    public void invalidate(String user) {
        if (cache != null) {
            cache.asMap().entrySet().removeIf(e -> user.equals(e.getKey().user()) || user.equals(e.getValue().name()));
        }
        if (refused != null) {
            refused.asMap().keySet().removeIf(k -> user.equals(k.user()));
        }
    }

    /** Drops every cached login and refusal: changes may have been missed. */
    public void invalidateAll() {
        if (cache != null) {
            cache.invalidateAll();
        }
        if (refused != null) {
            refused.invalidateAll();
        }
    }

    /**
     * The password and token of {@code user} were replaced with ones of {@code version}: drops
     * the user's cached logins, and refuses a check still running that found older ones.
     */
    public void credentialsChanged(String user, long version) {
        versions.announced(user, version);
        invalidate(user);
    }

    /** How long logins of {@code user} (null for a token) from {@code client} stay locked out; 0 when they are not. */
    public long lockedForNanos(InetAddress client, String user) {
        return guard.lockedForNanos(client, user);
    }

    /** The credential version {@code principal} logged in with, or {@link #NO_VERSION}. */
    public long credentialVersion(Principal principal) {
        return versions.of(principal);
    }

    /** {@link #authenticate(Credentials, AuthContext, EventLoop, LoginQueue.Caller)} for a caller without deadline. */
    Future<Principal> authenticate(Credentials credentials, AuthContext context, EventLoop loop) {
        return authenticate(credentials, context, loop, LoginQueue.Caller.patient(ticker));
    }

    /**
     * Authenticates on {@code loop}; fails with a {@link SessionException}. {@code caller} tells
     * when the answer stops mattering: a check nobody waits for any more is dropped, not run.
     */
    public Future<Principal> authenticate(Credentials credentials, AuthContext context, EventLoop loop,
                                          LoginQueue.Caller caller) {
        Promise<Principal> outer = loop.newPromise();
        InetAddress source = guard.source(context.client().getAddress());
        LoginGuard.Login login = guard.login(source, credentials.username());
        if (login.lockedOut()) {
            failLater(outer, failure("locked_out", context), login, context, loop);
            return outer;
        }
        Future<Principal> verdict = check(credentials, context, loop, caller, source, login);
        if (verdict.isDone()) {
            settle(outer, verdict, login, context, loop);
        } else {
            verdict.addListener(f -> {
                if (loop.inEventLoop()) {
                    settle(outer, verdict, login, context, loop);
                } else {
                    loop.execute(() -> settle(outer, verdict, login, context, loop));
                }
            });
        }
        return outer;
    }

    /** The verdict for {@code credentials}: from the caches, a check in flight, or a new check. */
    private Future<Principal> check(Credentials credentials, AuthContext context, EventLoop loop,
                                    LoginQueue.Caller caller, InetAddress source, LoginGuard.Login login) {
        if (credentials instanceof Credentials.None) {
            return loop.newFailedFuture(failure("no_credentials", context));
        }
        // Keyed even without a cache: concurrent logins with the same credentials always share one check.
        Key key = key(credentials);
        if (cache != null && key != null) {
            Principal cached = cache.getIfPresent(key);
            if (cached != null) {
                return loop.newSucceededFuture(cached);
            }
            String refusal = refused == null ? null : refused.getIfPresent(key);
            if (refusal != null) {
                return loop.newFailedFuture(failure(refusal, context));
            }
        }
        Check check = new Check(source, caller, credentials, context, loop, key);
        // Concurrent first logins with the same credentials share one check (one slow hash, one
        // slot with the guard) instead of a stampede.
        if (key != null) {
            Check leader = inFlight.putIfAbsent(key, check);
            if (leader != null) {
                leader.join(caller);
                return leader.promise;
            }
            check.promise.addListener(f -> inFlight.remove(key, check));
        }
        if (!login.reserve()) {
            // Failures and checks still running already reach a limit: this one would not count in
            // time, so it is not checked, and not counted either (nothing was tried).
            check.promise.tryFailure(failure(LOGIN_LIMIT, context));
            return check.promise;
        }
        check.promise.addListener(f -> queue.finished(check));
        if (!queue.submit(check)) {
            check.promise.tryFailure(overloaded(context));
        }
        return check.promise;
    }

    /** Counts the verdict with the guard and completes {@code outer}: success, a delayed failure, or unavailable. */
    private void settle(Promise<Principal> outer, Future<Principal> verdict, LoginGuard.Login login,
                        AuthContext context, EventLoop loop) {
        if (verdict.isSuccess()) {
            login.succeeded();
            outer.trySuccess(verdict.getNow());
        } else if (verdict.cause() instanceof SessionException e && e.outcome() == Outcome.AUTH_FAILED
                && !"no_credentials".equals(e.rule()) && !LOGIN_LIMIT.equals(e.rule())) {
            failLater(outer, e, login, context, loop);
        } else {
            login.abandoned();
            outer.tryFailure(verdict.cause());
        }
    }

    private void failLater(Promise<Principal> outer, SessionException failure, LoginGuard.Login login,
                           AuthContext context, EventLoop loop) {
        LoginGuard.Failure counted = login.failed();
        if (counted.locked() != null) {
            log.warn("Locking out {} {} after repeated failed {} logins", context.client().getAddress().getHostAddress(),
                    counted.locked() == LoginGuard.Lock.SOURCE ? "for every user name" : "for one user name",
                    context.protocol().id());
        }
        if (counted.delayNanos() > 0) {
            loop.schedule(() -> outer.tryFailure(failure), counted.delayNanos(), TimeUnit.NANOSECONDS);
        } else {
            outer.tryFailure(failure);
        }
    }

    /** Asks backend {@code index} on the check's event loop; the first that answers decides. */
    private void next(int index, Check check) {
        if (check.promise.isDone()) {
            return;
        }
        if (index == backends.length) {
            if (check.key != null && refused != null) {
                refused.put(check.key, "unknown_user");
            }
            check.promise.tryFailure(failure("unknown_user", check.context));
            return;
        }
        AuthBackend backend = backends[index];
        CompletionStage<AuthResult> stage;
        try {
            stage = backend.authenticate(check.credentials, check.context);
        } catch (RuntimeException e) {
            check.promise.tryFailure(backendError(backend, check.context, e));
            return;
        }
        if (stage == null) {
            check.promise.tryFailure(backendError(backend, check.context,
                    new NullPointerException("authenticate returned null")));
            return;
        }
        check.stage = stage;
        stage.whenComplete((result, error) -> {
            if (check.loop.inEventLoop()) {
                handle(index, result, error, backend, check);
            } else {
                check.loop.execute(() -> handle(index, result, error, backend, check));
            }
        });
    }

    private void handle(int index, AuthResult result, Throwable error, AuthBackend backend, Check check) {
        if (check.promise.isDone()) {
            return;
        }
        if (error != null || result == null) {
            check.promise.tryFailure(backendError(backend, check.context,
                    error != null ? error : new NullPointerException("authenticate completed with null")));
            return;
        }
        if (failing.remove(backend)) {
            log.info("Auth backend {} answers again", backend.name());
        }
        if (result instanceof AuthResult.Success success) {
            Principal who = versions.admit(success.principal());
            if (who == null) {
                // Read before a rotation whose notice came first: those credentials are the old ones.
                check.promise.tryFailure(failure("credentials_rotated", check.context));
                return;
            }
            if (stamps.changedSince(who.name(), check.startedAt)) {
                // Possibly read before the user was disabled, deleted or edited: never admitted nor
                // cached as it is. Asked again once (a notice of an earlier change may simply have
                // arrived late); changed again meanwhile, the login fails.
                if (check.askedAgain) {
                    check.promise.tryFailure(failure("user_changed", check.context));
                } else {
                    check.askedAgain = true;
                    check.startedAt = stamps.now();
                    next(0, check);
                }
                return;
            }
            if (cache != null && check.key != null) {
                cache.put(check.key, who);
            }
            check.promise.trySuccess(who);
        } else if (result instanceof AuthResult.Failure failure && OVERLOADED.equals(failure.reason())) {
            check.promise.tryFailure(overloaded(check.context));
        } else if (result instanceof AuthResult.Failure failure) {
            if (check.key != null && refused != null) {
                refused.put(check.key, failure.reason());
            }
            check.promise.tryFailure(failure(failure.reason(), check.context));
        } else {
            next(index + 1, check);
        }
    }

    private static SessionException failure(String reason, AuthContext context) {
        return new SessionException(Outcome.AUTH_FAILED, reason,
                context.protocol().id() + " login from " + Addresses.format(context.client()) + " failed: " + reason, null);
    }

    /** Could not check now: unavailable (HTTP 503), neither cached nor counted as a failed login. */
    private SessionException overloaded(AuthContext context) {
        long now = ticker.read();
        long last = lastOverloadWarning.get();
        if (now - last >= OVERLOAD_WARNING_NANOS && lastOverloadWarning.compareAndSet(last, now)) {
            log.warn("Password checks are overloaded: refusing logins that cannot wait their turn (latest from {}; "
                    + "logged at most once a minute)", Addresses.format(context.client()));
        }
        return new SessionException(Outcome.AUTH_UNAVAILABLE, OVERLOADED, context.protocol().id() + " login from "
                + Addresses.format(context.client()) + ": password checks overloaded", null);
    }

    /** Whether {@code backend}'s last call failed (its outage WARN is out, the INFO not yet); for tests. */
    boolean failing(AuthBackend backend) {
        return failing.contains(backend);
    }

    private SessionException backendError(AuthBackend backend, AuthContext context, Throwable cause) {
        // An outage fails every login alike: a line (and a stack trace) per login would bury the log.
        if (failing.add(backend)) {
            log.warn("Auth backend {} failed for a {} login from {}; failing closed until it answers again: {} "
                    + "(each failure at DEBUG)", backend.name(), context.protocol().id(), Addresses.format(context.client()),
                    String.valueOf(cause).lines().findFirst().orElse(""));
        }
        log.debug("Auth backend {} failed for a {} login from {}; failing closed", backend.name(),
                context.protocol().id(), Addresses.format(context.client()), cause);
        return new SessionException(Outcome.AUTH_UNAVAILABLE, "auth_backend_error",
                context.protocol().id() + " login from " + Addresses.format(context.client())
                        + ": auth backend " + backend.name() + " failed", cause);
    }

    /**
     * {@code user} as it may appear in a log line: quoted, at most 64 chars (then the length),
     * control, format and separator characters, quotes and backslashes escaped (a backslash,
     * {@code u} and four hex digits), so a hostile name cannot forge or hide log lines. {@code -}
     * for none.
     */
    public static String printableUser(String user) {
        if (user == null) {
            return "-";
        }
        int end = Math.min(user.length(), MAX_LOGGED_USER);
        if (end < user.length() && Character.isHighSurrogate(user.charAt(end - 1))) {
            end--;
        }
        StringBuilder text = new StringBuilder(end + 16).append('"');
        for (int i = 0; i < end; ) {
            int c = user.codePointAt(i);
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR || c == '"' || c == '\\') {
                text.append(String.format("\\u%04x", c));
            } else {
                text.appendCodePoint(c);
            }
            i += Character.charCount(c);
        }
        text.append('"');
        if (end < user.length()) {
            text.append("...(").append(user.length()).append(" chars)");
        }
        return text.toString();
    }

    private Key key(Credentials credentials) {
        Mac mac = macs.get();
        if (credentials instanceof Credentials.UsernamePassword up) {
            mac.update((byte) 'p');
            mac.update(up.username().getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return new Key(up.username(), mac.doFinal(up.password().getBytes(StandardCharsets.UTF_8)));
        }
        if (credentials instanceof Credentials.BearerToken token) {
            mac.update((byte) 't');
            return new Key(null, mac.doFinal(token.token().getBytes(StandardCharsets.UTF_8)));
        }
        return null;
    }

    /** A cache key: the claimed user (for invalidation) and an HMAC of everything presented. */
    @SuppressWarnings("ArrayRecordComponent") // equals and hashCode below compare the digest's bytes
    private record Key(String user, byte[] digest) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(digest, k.digest);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(digest);
        }

        @Override
        public String toString() {
            return "Key[" + user + "]";
        }
    }

    /** One run of the backend chain, queued in {@link #queue}; its promise completes on its loop's executor. */
    private final class Check extends LoginQueue.Ticket {
        final Credentials credentials;
        final AuthContext context;
        final EventLoop loop;
        final Key key;
        final Promise<Principal> promise;
        /** The backend's answer being waited for, cancelled when the check is given up. */
        volatile CompletionStage<AuthResult> stage;
        /** When the check was asked for (or asked again), on {@link ChangeStamps}' clock; on its loop. */
        long startedAt = stamps.now();
        boolean askedAgain;

        Check(InetAddress source, LoginQueue.Caller caller, Credentials credentials, AuthContext context, EventLoop loop,
              Key key) {
            super(source, caller);
            this.credentials = credentials;
            this.context = context;
            this.loop = loop;
            this.key = key;
            this.promise = loop.newPromise();
        }

        @Override
        protected void start() {
            if (loop.inEventLoop()) {
                next(0, this);
            } else {
                loop.execute(() -> next(0, this));
            }
        }

        @Override
        protected void giveUp() {
            promise.tryFailure(new SessionException(Outcome.AUTH_UNAVAILABLE, "login_expired", context.protocol().id()
                    + " login from " + Addresses.format(context.client()) + ": given up, its client left or timed out",
                    null));
            CompletionStage<AuthResult> pending = stage;
            if (pending != null) {
                try {
                    // A backend that honours cancellation skips the work if it has not started it.
                    pending.toCompletableFuture().cancel(false);
                } catch (UnsupportedOperationException e) {
                    log.trace("Auth stage of {} cannot be cancelled", context.protocol().id(), e);
                }
            }
        }
    }
}

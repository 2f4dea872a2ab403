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
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The auth cache in front of the {@link AuthBackend} chain. Cache keys hold an HMAC of the secret
 * under a per-process random key, never the secret itself, so a heap dump shows no password.
 */
public final class AuthChain {

    private static final Logger log = LoggerFactory.getLogger(AuthChain.class);

    private final boolean required;
    private final AuthBackend[] backends;
    private final Cache<Key, Principal> cache;
    private final byte[] hmacKey = new byte[32];
    private final FastThreadLocal<Mac> macs = new FastThreadLocal<>() {
        @Override
        protected Mac initialValue() throws GeneralSecurityException {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            return mac;
        }
    };

    private final LoginGuard guard;
    private final java.util.concurrent.ConcurrentHashMap<Key, Promise<Principal>> inFlight =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Recently refused credentials: answered without asking the backends again, for a shorter TTL. */
    private final Cache<Key, String> refused;

    public AuthChain(boolean required, List<AuthBackend> backends, Duration cacheTtl, Duration negativeTtl, Ticker ticker,
              LoginGuard guard) {
        this.required = required;
        this.backends = backends.toArray(AuthBackend[]::new);
        this.cache = cacheTtl.isZero() ? null
                : Caffeine.newBuilder().ticker(ticker::read).expireAfterWrite(cacheTtl).maximumSize(100_000).build();
        this.refused = negativeTtl.isZero() || cacheTtl.isZero() ? null
                : Caffeine.newBuilder().ticker(ticker::read).expireAfterWrite(negativeTtl).maximumSize(100_000).build();
        this.guard = guard;
        new SecureRandom().nextBytes(hmacKey);
    }

    public boolean required() {
        return required;
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

    /**
     * Authenticates on {@code loop}; fails with a {@link SessionException}. Failed logins are
     * counted per client IP: each failure reply is delayed by the back-off, and a locked-out IP
     * gets the same failure whatever it sends.
     */
    public Future<Principal> authenticate(Credentials credentials, AuthContext context, EventLoop loop) {
        Promise<Principal> outer = loop.newPromise();
        java.net.InetAddress ip = context.client().getAddress();
        if (guard.lockedOut(ip)) {
            failLater(outer, failure("locked_out", context, null), ip, context, loop);
            return outer;
        }
        Promise<Principal> promise = loop.newPromise();
        promise.addListener(f -> {
            if (f.isSuccess()) {
                guard.succeeded(ip);
                outer.trySuccess((Principal) f.getNow());
            } else if (f.cause() instanceof SessionException e && e.outcome() == Outcome.AUTH_FAILED
                    && !"no_credentials".equals(e.rule())) {
                failLater(outer, e, ip, context, loop);
            } else {
                outer.tryFailure(f.cause());
            }
        });
        authenticateNow(credentials, context, loop, promise);
        return outer;
    }

    private void failLater(Promise<Principal> outer, SessionException failure, java.net.InetAddress ip,
                           AuthContext context, EventLoop loop) {
        LoginGuard.Failure counted = guard.failed(ip);
        if (counted.lockedNow()) {
            log.warn("Locking out {} after repeated failed {} logins", ip.getHostAddress(), context.protocol().id());
        }
        if (counted.delayNanos() > 0) {
            loop.schedule(() -> outer.tryFailure(failure), counted.delayNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } else {
            outer.tryFailure(failure);
        }
    }

    private void authenticateNow(Credentials credentials, AuthContext context, EventLoop loop, Promise<Principal> promise) {
        if (credentials instanceof Credentials.None) {
            promise.setFailure(failure("no_credentials", context, null));
            return;
        }
        Key key = cache == null ? null : key(credentials);
        if (key != null) {
            Principal cached = cache.getIfPresent(key);
            if (cached != null) {
                promise.setSuccess(cached);
                return;
            }
            String refusal = refused == null ? null : refused.getIfPresent(key);
            if (refusal != null) {
                promise.setFailure(failure(refusal, context, null));
                return;
            }
            // Concurrent first logins with the same credentials share one backend check (and one
            // slow hash) instead of a stampede.
            Promise<Principal> leader = inFlight.putIfAbsent(key, promise);
            if (leader != null) {
                leader.addListener(f -> {
                    Runnable copy = () -> {
                        if (f.isSuccess()) {
                            promise.trySuccess((Principal) f.getNow());
                        } else {
                            promise.tryFailure(f.cause());
                        }
                    };
                    if (loop.inEventLoop()) {
                        copy.run();
                    } else {
                        loop.execute(copy);
                    }
                });
                return;
            }
            promise.addListener(f -> inFlight.remove(key, promise));
        }
        next(0, credentials, context, key, loop, promise);
    }

    private void next(int index, Credentials credentials, AuthContext context, Key key, EventLoop loop,
                      Promise<Principal> promise) {
        if (index == backends.length) {
            if (key != null && refused != null) {
                refused.put(key, "unknown_user");
            }
            promise.tryFailure(failure("unknown_user", context, null));
            return;
        }
        AuthBackend backend = backends[index];
        CompletionStage<AuthResult> stage;
        try {
            stage = backend.authenticate(credentials, context);
        } catch (RuntimeException e) {
            promise.tryFailure(backendError(backend, context, e));
            return;
        }
        if (stage == null) {
            promise.tryFailure(backendError(backend, context, new NullPointerException("authenticate returned null")));
            return;
        }
        stage.whenComplete((result, error) -> {
            if (loop.inEventLoop()) {
                handle(index, result, error, backend, credentials, context, key, loop, promise);
            } else {
                loop.execute(() -> handle(index, result, error, backend, credentials, context, key, loop, promise));
            }
        });
    }

    private void handle(int index, AuthResult result, Throwable error, AuthBackend backend, Credentials credentials,
                        AuthContext context, Key key, EventLoop loop, Promise<Principal> promise) {
        if (error != null || result == null) {
            promise.tryFailure(backendError(backend, context,
                    error != null ? error : new NullPointerException("authenticate completed with null")));
        } else if (result instanceof AuthResult.Success success) {
            if (key != null) {
                cache.put(key, success.principal());
            }
            promise.trySuccess(success.principal());
        } else if (result instanceof AuthResult.Failure failure) {
            if (key != null && refused != null) {
                refused.put(key, failure.reason());
            }
            promise.tryFailure(failure(failure.reason(), context, null));
        } else {
            next(index + 1, credentials, context, key, loop, promise);
        }
    }

    private static SessionException failure(String reason, AuthContext context, Throwable cause) {
        return new SessionException(Outcome.AUTH_FAILED, reason,
                context.protocol().id() + " login from " + Addresses.format(context.client()) + " failed: " + reason, cause);
    }

    private static SessionException backendError(AuthBackend backend, AuthContext context, Throwable cause) {
        log.warn("Auth backend {} failed for a {} login from {}; failing closed", backend.name(),
                context.protocol().id(), Addresses.format(context.client()), cause);
        return new SessionException(Outcome.AUTH_UNAVAILABLE, "auth_backend_error",
                context.protocol().id() + " login from " + Addresses.format(context.client())
                        + ": auth backend " + backend.name() + " failed", cause);
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
}

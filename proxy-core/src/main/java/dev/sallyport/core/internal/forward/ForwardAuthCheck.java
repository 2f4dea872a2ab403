package dev.sallyport.core.internal.forward;

import dev.sallyport.api.AuthContext;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.core.ForwardAuth;
import dev.sallyport.core.internal.AuthorizationHeader;
import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.net.Addresses;
import dev.sallyport.core.internal.policy.AuthChain;
import dev.sallyport.core.internal.policy.Cidr;
import dev.sallyport.core.internal.policy.LoginQueue;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One forward-auth question, start to end: the client address ({@link ForwardedFor}), the
 * credentials ({@link AuthorizationHeader}, {@code Proxy-Authorization} first), the manager's
 * {@link AuthChain} (auth cache, shared checks, the login guard's lockout and back-off, the fair
 * queue), then the reply and one count for the {@code MetricsSink}. The auth context names
 * {@link Protocol#HTTP}: backends see a forward-auth login as an HTTP one.
 *
 * <p>Only callers on loopback or in the trusted CIDRs are answered (403 to others): whoever may
 * ask could guess passwords, within the lockout. Missing, unreadable or wrong credentials say 401; a lockout says 429 and an auth chain that
 * could not check (backend down, overloaded) says 503, so a reverse proxy can tell "wrong" from
 * "try later".
 */
public final class ForwardAuthCheck {

    private static final Logger log = LoggerFactory.getLogger(ForwardAuthCheck.class);

    static final String USER = "X-Sallyport-User";
    static final String ATTRIBUTE = "X-Sallyport-Attr-";
    /** Attributes beyond this many, keys longer than 64 or values longer than 1 KiB (encoded) are left out. */
    static final int MAX_ATTRIBUTES = 32;
    private static final int MAX_KEY = 64;
    private static final int MAX_VALUE = 1024;
    private static final String CHALLENGE = "Basic realm=\"sallyport\", charset=\"UTF-8\"";
    private static final String INTERNAL_ATTRIBUTES = "sallyport.";

    private final Engine engine;
    private final List<Cidr> trusted;

    private ForwardAuthCheck(Engine engine, List<Cidr> trusted) {
        this.engine = engine;
        this.trusted = List.copyOf(trusted);
    }

    /**
     * The check against {@code engine}'s logins.
     *
     * @throws IllegalStateException when the engine requires no login
     */
    public static ForwardAuthCheck of(Engine engine, List<Cidr> trusted) {
        requireAuthentication(engine.auth().required());
        return new ForwardAuthCheck(engine, trusted);
    }

    /** Forward auth without logins would let everyone through, or no one: refused (fail closed). */
    static void requireAuthentication(boolean required) {
        if (!required) {
            throw new IllegalStateException("forwardAuth: the proxy requires no login (expected: an auth backend, "
                    + "users, or requireAuthentication(true))");
        }
    }

    /** Parses {@code cidrs}; {@code setting} names the setting in messages. */
    public static List<Cidr> trusted(String setting, String... cidrs) {
        Objects.requireNonNull(cidrs, setting);
        List<Cidr> trusted = Arrays.stream(cidrs).map(cidr -> Cidr.parse(setting, cidr)).toList();
        for (Cidr cidr : trusted) {
            if (cidr.prefix() == 0) {
                // Every caller could name any client: X-Forwarded-For would move each guess to a new address.
                throw new IllegalArgumentException(setting + ": '" + cidr.text()
                        + "' trusts every caller (expected: the reverse proxies' own addresses)");
            }
        }
        return trusted;
    }

    /** {@link #check(InetSocketAddress, List, List, List, EventLoop, LoginQueue.Caller)} for the public hook. */
    public CompletionStage<ForwardAuth.Reply> check(ForwardAuth.Request request) {
        long deadline = engine.settings().ticker().read() + engine.settings().connectTimeout().toNanos();
        CompletableFuture<ForwardAuth.Reply> reply = new CompletableFuture<>();
        try {
            check(request.peer(), request.proxyAuthorization(), request.authorization(), request.forwardedFor(),
                    engine.nextLoop(), new LoginQueue.Caller(deadline, () -> false))
                    .addListener(f -> reply.complete(f.isSuccess() ? (ForwardAuth.Reply) f.getNow() : unavailable()));
        } catch (RuntimeException e) {
            // The manager is closed (its loops refuse work): nobody can check now.
            log.debug("forward auth: no check possible", e);
            reply.complete(unavailable());
        }
        return reply;
    }

    /** Answers on {@code loop}; the future never fails. {@code caller} says when the answer stops mattering. */
    Future<ForwardAuth.Reply> check(InetSocketAddress peer, List<String> proxyAuthorization, List<String> authorization,
                                    List<String> forwardedFor, EventLoop loop, LoginQueue.Caller caller) {
        if (!peer.getAddress().isLoopbackAddress() && !ForwardedFor.trusts(trusted, peer.getAddress())) {
            // Only the reverse proxies may ask: a stranger on the network gets no password oracle.
            log.debug("forward auth: caller {} is not trusted", Addresses.format(peer));
            return loop.newSucceededFuture(count("forbidden", new ForwardAuth.Reply(403, Map.of("Cache-Control", "no-store"))));
        }
        InetSocketAddress client = ForwardedFor.client(peer, forwardedFor, trusted);
        Credentials credentials = AuthorizationHeader.parse(field(proxyAuthorization.isEmpty() ? authorization : proxyAuthorization));
        if (credentials == AuthorizationHeader.MALFORMED || credentials instanceof Credentials.None) {
            log.debug("forward auth for {}: {}", Addresses.format(client),
                    credentials == AuthorizationHeader.MALFORMED ? "malformed credentials" : "no credentials");
            return loop.newSucceededFuture(denied());
        }
        Promise<ForwardAuth.Reply> reply = loop.newPromise();
        AuthChain auth = engine.auth();
        auth.authenticate(credentials, new AuthContext(client, Protocol.HTTP), loop, caller).addListener(f -> {
            if (f.isSuccess()) {
                reply.setSuccess(allowed((Principal) f.getNow()));
                return;
            }
            SessionException refusal = f.cause() instanceof SessionException e ? e : null;
            log.debug("forward auth for {}: {}", Addresses.format(client), refusal != null ? refusal.getMessage() : f.cause());
            if (refusal == null || refusal.outcome() != Outcome.AUTH_FAILED) {
                reply.setSuccess(unavailable());
            } else if ("locked_out".equals(refusal.rule())) {
                reply.setSuccess(lockedOut(auth.lockedForNanos(client.getAddress(), credentials.username())));
            } else {
                reply.setSuccess(denied());
            }
        });
        return reply;
    }

    /** The field's one value; null when absent, and "" (unreadable) when sent twice: which one would count is ambiguous. */
    private static String field(List<String> values) {
        return values.isEmpty() ? null : values.size() == 1 ? values.get(0) : "";
    }

    private ForwardAuth.Reply unavailable() {
        return count("unavailable", new ForwardAuth.Reply(503, Map.of("Cache-Control", "no-store")));
    }

    private ForwardAuth.Reply denied() {
        return count("denied", new ForwardAuth.Reply(401,
                Map.of("WWW-Authenticate", CHALLENGE, "Cache-Control", "no-store")));
    }

    private ForwardAuth.Reply lockedOut(long nanos) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (nanos > 0) {
            headers.put("Retry-After", Long.toString(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(nanos + 999_999_999L))));
        }
        headers.put("Cache-Control", "no-store");
        return count("locked_out", new ForwardAuth.Reply(429, headers));
    }

    private ForwardAuth.Reply allowed(Principal principal) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(USER, HeaderValues.encode(principal.name()));
        int added = 0;
        for (Map.Entry<String, String> attribute : new TreeMap<>(principal.attributes()).entrySet()) {
            String key = HeaderValues.key(attribute.getKey(), MAX_KEY);
            String value = HeaderValues.encode(attribute.getValue());
            if (key == null || attribute.getKey().startsWith(INTERNAL_ATTRIBUTES) || value.length() > MAX_VALUE
                    || headers.containsKey(ATTRIBUTE + key)) {
                continue;
            }
            if (++added > MAX_ATTRIBUTES) {
                break;
            }
            headers.put(ATTRIBUTE + key, value);
        }
        headers.put("Cache-Control", "no-store");
        return count("allowed", new ForwardAuth.Reply(200, headers));
    }

    private ForwardAuth.Reply count(String outcome, ForwardAuth.Reply reply) {
        engine.metrics().forwardAuth(outcome);
        return reply;
    }
}

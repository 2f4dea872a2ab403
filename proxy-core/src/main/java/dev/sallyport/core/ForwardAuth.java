package dev.sallyport.core;

import dev.sallyport.core.internal.forward.ForwardAuthCheck;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Forward authentication for a reverse proxy in front of other services (Traefik
 * {@code forwardAuth}, nginx {@code auth_request}, Envoy {@code ext_authz}): is the caller's
 * {@code Proxy-Authorization} or {@code Authorization} field (Basic or Bearer) good? Checked
 * through the manager's own auth backends, auth cache, shared checks and login lockout, exactly
 * as a proxy login; the lockout counts against the client address, read from
 * {@code X-Forwarded-For} only when the direct caller lies in a trusted CIDR. Only callers on
 * loopback or in a trusted CIDR get an answer; others get 403 (whoever may ask could guess
 * passwords, within the lockout).
 *
 * <p>{@link ProxyManager.Builder#forwardAuth} serves this as {@code GET /auth} on a listener of
 * its own; a host that already runs an HTTP server answers with {@link #check} instead:
 *
 * <pre>{@code
 * ForwardAuth auth = ForwardAuth.of(proxy, "10.0.0.0/24");
 * auth.check(new ForwardAuth.Request(peer, proxyAuthorizations, authorizations, forwardedFors))
 *     .thenAccept(reply -> write(reply.status(), reply.headers(), reply.text()));
 * }</pre>
 *
 * <p>Thread-safe; {@link #check} never blocks.
 */
public final class ForwardAuth {

    private final ForwardAuthCheck check;

    private ForwardAuth(ForwardAuthCheck check) {
        this.check = check;
    }

    /**
     * Forward authentication against {@code proxy}'s logins.
     *
     * @param proxy        a running manager that requires authentication
     * @param trustedCidrs the direct callers whose {@code X-Forwarded-For} is believed, e.g. the
     *                     reverse proxies' {@code 10.0.0.0/24}; none: the caller is the client
     * @return the check
     * @throws IllegalArgumentException when a CIDR cannot be parsed or is a /0 (trusting every caller)
     * @throws IllegalStateException    when {@code proxy} requires no login (every answer would be a guess)
     */
    public static ForwardAuth of(ProxyManager proxy, String... trustedCidrs) {
        Objects.requireNonNull(proxy, "proxy");
        return new ForwardAuth(ForwardAuthCheck.of(proxy.engine(), ForwardAuthCheck.trusted("trustedCidrs", trustedCidrs)));
    }

    /**
     * Answers {@code request}: 200 with {@code X-Sallyport-User} (and an
     * {@code X-Sallyport-Attr-KEY} per attribute of the user) for good credentials, 401 with
     * {@code WWW-Authenticate} for missing, unreadable or wrong ones, 429 (with {@code Retry-After}
     * when known) while the client or the name is locked out, 503 when the auth backend cannot
     * answer, 403 to a caller neither on loopback nor trusted. Header values are printable ASCII: other characters, and {@code %}, are
     * percent-encoded UTF-8. The stage completes on one of the manager's I/O threads.
     *
     * @param request what the reverse proxy sent
     * @return the reply to send back
     */
    public CompletionStage<Reply> check(Request request) {
        Objects.requireNonNull(request, "request");
        return check.check(request);
    }

    /**
     * What a reverse proxy sent to the forward-auth endpoint: every field of each name, in order
     * (a name sent twice is ambiguous, and such credentials are refused).
     *
     * @param peer               the direct caller's address
     * @param proxyAuthorization the {@code Proxy-Authorization} fields; read first
     * @param authorization      the {@code Authorization} fields, read when there is no {@code Proxy-Authorization}
     * @param forwardedFor       the {@code X-Forwarded-For} fields
     */
    public record Request(InetSocketAddress peer, List<String> proxyAuthorization, List<String> authorization,
                          List<String> forwardedFor) {
        /**
         * Checks that nothing is null and copies the lists.
         *
         * @param peer               the direct caller's address
         * @param proxyAuthorization the {@code Proxy-Authorization} fields
         * @param authorization      the {@code Authorization} fields
         * @param forwardedFor       the {@code X-Forwarded-For} fields
         */
        public Request {
            Objects.requireNonNull(peer, "peer");
            proxyAuthorization = List.copyOf(proxyAuthorization);
            authorization = List.copyOf(authorization);
            forwardedFor = List.copyOf(forwardedFor);
        }

        @Override
        public String toString() {
            return "Request[peer=" + peer + ", forwardedFor=" + forwardedFor + "]";
        }
    }

    /**
     * The answer to send back.
     *
     * @param status  the HTTP status: 200, 401, 403, 429 or 503
     * @param headers the header fields to send, in order; values printable ASCII
     */
    public record Reply(int status, Map<String, String> headers) {
        /**
         * Copies {@code headers}, keeping their order.
         *
         * @param status  the HTTP status
         * @param headers the header fields
         */
        public Reply {
            headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        }

        /**
         * A short plain-text body for the status, ending in a newline.
         *
         * @return the body text
         */
        public String text() {
            return switch (status) {
                case 200 -> "ok\n";
                case 401 -> "authentication required\n";
                case 403 -> "caller not trusted\n";
                case 429 -> "too many failed logins: locked out\n";
                default -> "auth backend unavailable\n";
            };
        }
    }
}

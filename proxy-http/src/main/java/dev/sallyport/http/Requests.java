package dev.sallyport.http;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.core.internal.AuthorizationHeader;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;


/**
 * Request preparation as plain functions: what the proxy checks in a request head and rewrites
 * before anything is dialled (RFC 9110, RFC 9112). No channel, no session: a head goes in, a
 * {@link Verdict} comes out, and a forwarded head is rewritten in place for the origin.
 */
final class Requests {

    /** What to do with a request head. */
    sealed interface Verdict permits Admit, AnswerHere, AnswerAfterLogin, LoginRefused, Refusal {
    }

    /** Ask core to admit the request: the target to reach and the credentials to check. */
    record Admit(Target target, Credentials credentials) implements Verdict {
    }

    /** {@code Max-Forwards: 0} on OPTIONS or TRACE: the proxy answers as the final recipient (RFC 9110 section 7.6.2). */
    enum AnswerHere implements Verdict {
        INSTANCE
    }

    /**
     * Like {@link AnswerHere} on a proxy that requires a login: the proxy answers once core has
     * accepted {@code credentials}, and otherwise refuses as it would refuse a forwarded request
     * to {@code target}. A proxy answers nobody it does not know, not even about itself.
     */
    record AnswerAfterLogin(Target target, Credentials credentials) implements Verdict {
    }

    /**
     * The proxy needs credentials that the request lacks or that cannot be decoded: answered with
     * {@code refusal} (407), and reported to core as a refused login for {@code target} with
     * {@code reason} ({@code Session.loginRefused}), as SOCKS reports a login without credentials.
     */
    record LoginRefused(Target target, String reason, Refusal refusal) implements Verdict {
    }

    /** The reason of a login without credentials (the auth chain's name for it). */
    static final String NO_CREDENTIALS = "no_credentials";
    /** The reason of a {@code Proxy-Authorization} that cannot be decoded. */
    static final String MALFORMED_CREDENTIALS = "malformed_credentials";

    /** Marks a {@code Proxy-Authorization} header that cannot be decoded. */
    static final Credentials MALFORMED = AuthorizationHeader.MALFORMED;

    static final String ORIGIN_FORM_HINT = "this is a proxy, not a web server: send the full URL "
            + "(GET http://host/path HTTP/1.1) or configure this address as your HTTP proxy";

    /** The challenge: the connection stays open, since clients retry with credentials on it. */
    static final Refusal CHALLENGE =
            new Refusal(null, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "proxy authentication required", false);

    static final Refusal UNDECODABLE_CREDENTIALS = new Refusal(null,
            HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "Proxy-Authorization must be Basic or Bearer", true);

    private Requests() {
    }

    /** A CONNECT head (RFC 9110 section 9.3.6): its target must be {@code host:port}. */
    static Verdict connect(HttpRequest request, boolean authenticationRequired) {
        Target target = Target.authority(request.uri());
        if (target == null) {
            return Refusal.protocolError(HttpResponseStatus.BAD_REQUEST, "CONNECT needs host:port as its target");
        }
        return admit(request.headers(), target, authenticationRequired);
    }

    /**
     * A head to forward, in absolute form (RFC 9112 section 3.2.2). When the verdict is
     * {@link Admit}, the head has been {@linkplain #rewriteForOrigin rewritten for the origin};
     * {@code Max-Forwards} is decremented on OPTIONS and TRACE whatever the verdict. With
     * {@code Max-Forwards: 0} the proxy answers itself, but only to a client that may use it:
     * a login it needs comes first (407 without credentials, as Squid answers).
     */
    static Verdict forward(HttpRequest request, boolean authenticationRequired) {
        String uri = request.uri();
        if (isOriginForm(uri)) {
            return Refusal.protocolError(HttpResponseStatus.BAD_REQUEST, ORIGIN_FORM_HINT);
        }
        Target target = Target.absolute(uri);
        if (target == null) {
            return Refusal.protocolError(HttpResponseStatus.BAD_REQUEST, "malformed request target");
        }
        if (!"http".equals(target.scheme())) {
            return new Refusal(Outcome.UNSUPPORTED_COMMAND, HttpResponseStatus.NOT_IMPLEMENTED, "scheme "
                    + target.scheme() + " is not supported: forward http:// URLs, or use CONNECT for https", false);
        }
        Verdict hops = maxForwards(request);
        if (hops instanceof Refusal) {
            return hops;
        }
        Verdict verdict = admit(request.headers(), target, authenticationRequired);
        if (hops == AnswerHere.INSTANCE && verdict instanceof Admit admit) {
            return authenticationRequired ? new AnswerAfterLogin(target, admit.credentials()) : hops;
        }
        if (verdict instanceof Admit) {
            rewriteForOrigin(request, target);
        }
        return verdict;
    }

    /** A request target in origin form ({@code /path}) or asterisk form: what a server gets, not a proxy. */
    static boolean isOriginForm(String uri) {
        return uri.startsWith("/") || "*".equals(uri);
    }

    /**
     * Applies {@code Max-Forwards} (RFC 9110 section 7.6.2) to OPTIONS and TRACE: {@link AnswerHere}
     * at 0, a refusal when it is not a number, otherwise {@code null} after decrementing it.
     */
    static Verdict maxForwards(HttpRequest request) {
        HttpMethod method = request.method();
        String value = request.headers().get(HttpHeaderNames.MAX_FORWARDS);
        if (value == null || !(HttpMethod.OPTIONS.equals(method) || HttpMethod.TRACE.equals(method))) {
            return null;
        }
        int hops = parseMaxForwards(value);
        if (hops < 0) {
            return Refusal.protocolError(HttpResponseStatus.BAD_REQUEST, "Max-Forwards is not a number");
        }
        if (hops == 0) {
            return AnswerHere.INSTANCE;
        }
        request.headers().set(HttpHeaderNames.MAX_FORWARDS, hops - 1);
        return null;
    }

    /** A decimal of at most nine digits, or -1. */
    static int parseMaxForwards(String value) {
        String trimmed = value.trim();
        if (trimmed.isEmpty() || trimmed.length() > 9) {
            return -1;
        }
        for (int i = 0; i < trimmed.length(); i++) {
            if (trimmed.charAt(i) < '0' || trimmed.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(trimmed);
    }

    /**
     * Admits {@code target} with the request's credentials, or refuses the login with 407 when
     * the proxy needs credentials the request lacks (a challenge) or cannot decode (then close).
     */
    static Verdict admit(HttpHeaders headers, Target target, boolean authenticationRequired) {
        if (!authenticationRequired) {
            return new Admit(target, Credentials.none());
        }
        Credentials credentials = credentials(headers);
        if (credentials == Credentials.none()) {
            return new LoginRefused(target, NO_CREDENTIALS, CHALLENGE);
        }
        if (credentials == MALFORMED) {
            return new LoginRefused(target, MALFORMED_CREDENTIALS, UNDECODABLE_CREDENTIALS);
        }
        return new Admit(target, credentials);
    }

    /**
     * The credentials in {@code Proxy-Authorization}: {@code Basic} (RFC 7617) as user name and
     * password, {@code Bearer} (RFC 6750) as a token, {@link Credentials#none()} when absent, and
     * {@link #MALFORMED} when present but not decodable or of another scheme.
     */
    static Credentials credentials(HttpHeaders headers) {
        return AuthorizationHeader.parse(headers.get(HttpHeaderNames.PROXY_AUTHORIZATION));
    }

    /**
     * Rewrites an absolute-form head for the origin: hop-by-hop fields out and {@code Via} in
     * (RFC 9110 section 7.6), {@code Host} from the target URI whatever the client sent and the
     * target in origin form (RFC 9112 section 3.2.2), HTTP/1.1 on the wire.
     */
    static void rewriteForOrigin(HttpRequest request, Target target) {
        ProxyHeaders.removeHopByHop(request.headers());
        ProxyHeaders.addVia(request.headers());
        request.headers().set(HttpHeaderNames.HOST, target.authority());
        request.setUri(originUri(request.method(), request.uri(), target));
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * Turns a head rewritten {@linkplain #rewriteForOrigin for the origin} into one for an HTTP
     * upstream proxy: the target back in absolute-form (RFC 9112 section 3.2.2) from the
     * {@code Host} set there, and the upstream's own {@code Proxy-Authorization} when it has a
     * login (the client's was removed with the hop-by-hop fields).
     */
    static void rewriteForUpstream(HttpRequest request, String authorization) {
        String path = "*".equals(request.uri()) ? "" : request.uri();
        request.setUri("http://" + request.headers().get(HttpHeaderNames.HOST) + path);
        if (authorization != null) {
            request.headers().set(HttpHeaderNames.PROXY_AUTHORIZATION, authorization);
        }
    }

    /**
     * The target as the origin gets it: path and query, or {@code *} for an OPTIONS whose
     * absolute URI has no path at all (RFC 9112 section 3.2.4).
     */
    static String originUri(HttpMethod method, String absoluteUri, Target target) {
        boolean noPath = absoluteUri.indexOf('/', absoluteUri.indexOf("://") + 3) < 0;
        return HttpMethod.OPTIONS.equals(method) && noPath && target.path().equals("/") ? "*" : target.path();
    }
}

package dev.sallyport.server;

import dev.sallyport.core.ForwardAuth;
import dev.sallyport.core.ProxyManager;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code /auth} on the metrics port ({@link ForwardAuthFlags}): the library's {@link ForwardAuth}
 * behind the routes reverse proxies call. {@code GET} or {@code HEAD /auth} for Traefik and nginx;
 * under {@code /auth/envoy} any method, since Envoy's {@code ext_authz} HTTP service sends the
 * client's own method and path after its prefix. 503 until the proxy has started.
 */
final class ForwardAuthEndpoint {

    static final String PATH = "/auth";
    static final String ENVOY = "/auth/envoy";

    private final String[] trusted;
    private volatile ForwardAuth auth;

    ForwardAuthEndpoint(List<String> trusted) {
        this.trusted = trusted.toArray(String[]::new);
    }

    /**
     * From now on answers from {@code proxy}'s logins.
     *
     * @throws IllegalStateException when the proxy requires no login: nothing to check
     */
    void attach(ProxyManager proxy) {
        this.auth = ForwardAuth.of(proxy, trusted);
    }

    static boolean handles(String path) {
        return path.equals(PATH) || path.equals(ENVOY) || path.startsWith(ENVOY + "/");
    }

    /** The answer to {@code request} for {@code path} (one {@link #handles} took), from {@code peer}. */
    CompletionStage<MetricsServer.Answer> answer(FullHttpRequest request, String path, InetSocketAddress peer) {
        boolean getOrHead = HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
        if (path.equals(PATH) && !getOrHead) {
            return CompletableFuture.completedFuture(new MetricsServer.Answer(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    MetricsServer.TEXT, "GET or HEAD only\n", "GET, HEAD"));
        }
        ForwardAuth running = auth;
        if (running == null) {
            return CompletableFuture.completedFuture(new MetricsServer.Answer(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    MetricsServer.TEXT, "starting\n"));
        }
        HttpHeaders headers = request.headers();
        return running.check(new ForwardAuth.Request(peer, headers.getAll(HttpHeaderNames.PROXY_AUTHORIZATION),
                        headers.getAll(HttpHeaderNames.AUTHORIZATION), headers.getAll("X-Forwarded-For")))
                .thenApply(reply -> new MetricsServer.Answer(HttpResponseStatus.valueOf(reply.status()), MetricsServer.TEXT,
                        reply.text(), null, reply.headers()));
    }
}

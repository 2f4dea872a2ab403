package dev.sallyport.server;

import dev.sallyport.core.internal.net.ConnectionCap;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;

/**
 * {@code /metrics} (Prometheus text), {@code /health} (200 serving, 503 starting or draining),
 * {@code /health/live} and {@code /health/ready} ({@link Health}) and
 * the admin endpoint {@code /sessions} ({@link SessionsEndpoint}, with its own guards) and, with
 * {@code --forward-auth}, {@code /auth} ({@link ForwardAuthEndpoint}, answered asynchronously and in
 * order) over HTTP/1.1, on one Netty event loop of its own: a client that sends half a request holds
 * nothing but its own connection. Each request must arrive whole within the request timeout of
 * the connection opening or of the previous response, or the connection is closed; heads are
 * limited to 8 KiB and bodies to 4 KiB. With a token, {@code /metrics} needs
 * {@code Authorization: Bearer TOKEN}; the health endpoints stay open for load balancers and
 * probes, and tell why they answer 503 only to a client that may read {@code /metrics}.
 * At most {@link #MAX_CONNECTIONS} connections are open at once, {@link #MAX_CONNECTIONS_PER_CLIENT}
 * from one client IP (more with {@code /auth}: a reverse proxy opens one per check in flight); the
 * rest are closed at accept, before anything is read, and counted in {@code proxy.metrics.refused}.
 */
final class MetricsServer implements AutoCloseable {

    /** How long a client has to send a whole request. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Scrapers, probes and an admin: a few connections each. Far below any file-descriptor limit,
     * so idle connections here cannot starve the proxy listeners.
     */
    static final int MAX_CONNECTIONS = 64;
    static final int MAX_CONNECTIONS_PER_CLIENT = 8;
    /** With {@code /auth}: the reverse proxies, one connection per check in flight. */
    static final int MAX_CONNECTIONS_FORWARD_AUTH = 256;
    static final int MAX_CONNECTIONS_PER_CLIENT_FORWARD_AUTH = 64;

    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String TEXT = "text/plain; charset=utf-8";

    private final EventLoopGroup group;
    private final Channel server;
    private final ScheduledFuture<?> checks;

    private MetricsServer(EventLoopGroup group, Channel server, ScheduledFuture<?> checks) {
        this.group = group;
        this.server = server;
        this.checks = checks;
    }

    /**
     * Listens on {@code address}; {@code token} (null for none) guards {@code /metrics};
     * {@code sessions} (null for none) serves {@code /sessions}; {@code health}'s checks run on
     * this server's event loop every {@link Health#INTERVAL}.
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Health health,
                               byte[] token, Duration requestTimeout, SessionsEndpoint sessions) {
        return start(address, registry, health, token, requestTimeout, sessions, null);
    }

    /** {@link #start} that also serves {@code /auth} through {@code forwardAuth} (null for none). */
    static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, Health health,
                               byte[] token, Duration requestTimeout, SessionsEndpoint sessions,
                               ForwardAuthEndpoint forwardAuth) {
        ConnectionCap cap = forwardAuth == null
                ? new ConnectionCap("metrics", MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT, refusals(registry))
                : new ConnectionCap("metrics", MAX_CONNECTIONS_FORWARD_AUTH, MAX_CONNECTIONS_PER_CLIENT_FORWARD_AUTH,
                        refusals(registry));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sallyport-metrics", true),
                NioIoHandler.newFactory());
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (!cap.admit(channel)) {
                            return;
                        }
                        channel.pipeline()
                                .addLast("codec", new HttpServerCodec(4096, 8192, 8192))
                                .addLast("aggregator", new HttpObjectAggregator(4096))
                                .addLast("endpoints", new Endpoints(registry, health, token, requestTimeout, sessions, forwardAuth));
                    }
                })
                .bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("metrics: cannot listen on " + ServeCommand.format(address) + " ("
                    + bound.cause().getMessage() + "; expected: a free port, or 0 for any)", bound.cause());
        }
        long interval = Health.INTERVAL.toNanos();
        ScheduledFuture<?> checks = group.next().scheduleAtFixedRate(health::check, 0, interval, TimeUnit.NANOSECONDS);
        return new MetricsServer(group, bound.channel(), checks);
    }

    /** Counts the connections refused over a cap, by reason. */
    private static Consumer<String> refusals(PrometheusMeterRegistry registry) {
        return reason -> Counter.builder("proxy.metrics.refused")
                .description("Connections to the metrics port closed at accept, over a cap")
                .tag("reason", reason).register(registry).increment();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        checks.cancel(false);
        server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /**
     * What an endpoint answers.
     *
     * @param allow   the {@code Allow} field of a 405, or null
     * @param headers more fields to send
     */
    record Answer(HttpResponseStatus status, String type, String body, String allow, Map<String, String> headers) {
        Answer(HttpResponseStatus status, String type, String body, String allow) {
            this(status, type, body, allow, Map.of());
        }

        Answer(HttpResponseStatus status, String type, String body) {
            this(status, type, body, null);
        }
    }

    /**
     * Whether {@code request} carries {@code Authorization: Bearer TOKEN} ({@code token} null: no
     * token needed). Constant-time comparison, so that the time of a refusal says nothing about the token.
     */
    static boolean authorized(FullHttpRequest request, byte[] token) {
        if (token == null) {
            return true;
        }
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] offered = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(offered, token);
    }

    /** One connection: answers whole requests in order and keeps the request deadline. */
    private static final class Endpoints extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final PrometheusMeterRegistry registry;
        private final Health health;
        private final byte[] token;
        private final Duration requestTimeout;
        private final SessionsEndpoint sessions;
        private final ForwardAuthEndpoint forwardAuth;
        private ScheduledFuture<?> deadline;
        /** A forward-auth answer is being worked out; a request arriving meanwhile closes the connection after it. */
        private boolean pending;
        private boolean closeAfter;

        Endpoints(PrometheusMeterRegistry registry, Health health, byte[] token, Duration requestTimeout,
                  SessionsEndpoint sessions, ForwardAuthEndpoint forwardAuth) {
            this.registry = registry;
            this.health = health;
            this.token = token;
            this.requestTimeout = requestTimeout;
            this.sessions = sessions;
            this.forwardAuth = forwardAuth;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            awaitRequest(ctx);
            ctx.fireChannelActive();
        }

        /** The next request must be complete within the timeout; a slow or silent client is closed. */
        private void awaitRequest(ChannelHandlerContext ctx) {
            deadline = ctx.executor().schedule(() -> {
                log.debug("metrics: no complete request from {} within {}", ctx.channel().remoteAddress(), requestTimeout);
                ctx.close();
            }, requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (pending) {
                closeAfter = true;
                return;
            }
            deadline.cancel(false);
            boolean head = HttpMethod.HEAD.equals(request.method());
            boolean close = !HttpUtil.isKeepAlive(request) || request.decoderResult().isFailure();
            String path = request.decoderResult().isFailure() ? "" : new QueryStringDecoder(request.uri()).rawPath();
            if (forwardAuth != null && ForwardAuthEndpoint.handles(path)) {
                // Answered later, on this loop; no other request is answered meanwhile, so answers stay in order.
                pending = true;
                forwardAuth.answer(request, path, (InetSocketAddress) ctx.channel().remoteAddress())
                        .whenComplete((answer, failure) -> ctx.executor().execute(() -> {
                            pending = false;
                            respond(ctx, answer != null ? answer : new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT,
                                    "auth backend unavailable\n"), head, close || closeAfter);
                        }));
                return;
            }
            respond(ctx, answer(request), head, close);
        }

        private void respond(ChannelHandlerContext ctx, Answer answer, boolean head, boolean close) {
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            answer.headers().forEach(response.headers()::set);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.type())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (HttpResponseStatus.UNAUTHORIZED.equals(answer.status()) && answer.headers().isEmpty()) {
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"sallyport-metrics\"");
            } else if (answer.allow() != null) {
                response.headers().set(HttpHeaderNames.ALLOW, answer.allow());
            }
            if (close) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush(response);
            awaitRequest(ctx);
        }

        private Answer answer(FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                return new Answer(HttpResponseStatus.BAD_REQUEST, TEXT, "malformed request\n");
            }
            String path = new QueryStringDecoder(request.uri()).path();
            if (sessions != null && SessionsEndpoint.handles(path)) {
                return sessions.answer(request, path);
            }
            if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
                return new Answer(HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "GET or HEAD only\n", "GET, HEAD");
            }
            return switch (path) {
                case "/metrics" -> authorized(request, token)
                        ? new Answer(HttpResponseStatus.OK, PROMETHEUS_TEXT, registry.scrape())
                        : new Answer(HttpResponseStatus.UNAUTHORIZED, TEXT, "a bearer token is required\n");
                case "/health" -> health.serving() ? new Answer(HttpResponseStatus.OK, TEXT, "ok\n")
                        : new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, "not serving\n");
                case "/health/live" -> probe(request, "live", health.notLive());
                case "/health/ready" -> probe(request, "ready", health.notReady());
                default -> new Answer(HttpResponseStatus.NOT_FOUND, TEXT,
                        "not found: try /metrics, /health, /health/live or /health/ready\n");
            };
        }

        /**
         * 200 when {@code problem} is null, else 503 saying why to a client that may read
         * /metrics (the reason names the auth backend's state: nothing for strangers).
         */
        private Answer probe(FullHttpRequest request, String state, String problem) {
            if (problem == null) {
                return new Answer(HttpResponseStatus.OK, TEXT, state + "\n");
            }
            return new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT,
                    "not " + state + (authorized(request, token) ? ": " + problem : "") + "\n");
        }


        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("metrics: connection from {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }
}

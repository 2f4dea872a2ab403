package dev.sallyport.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sallyport.api.LiveSession;
import dev.sallyport.core.ProxyManager;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.NetUtil;

import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * {@code /sessions} on the metrics port: {@code GET /sessions} lists the proxy's open sessions
 * (JSON; a table with {@code Accept: text/plain}), {@code DELETE /sessions/ID} closes one. What
 * it shows (users, client addresses, targets) and what it does make it an admin endpoint,
 * guarded beyond {@code /metrics}:
 * <ul>
 *   <li>with a token ({@code --metrics-token-file}), every request needs it;</li>
 *   <li>without one, it answers only on a loopback metrics address, and only requests whose
 *       {@code Host} is an IP address or {@code localhost}: a web page whose name an attacker
 *       re-pointed at 127.0.0.1 (DNS rebinding) names its own host there;</li>
 *   <li>a request with an {@code Origin} header comes from a browser and is refused, and the one
 *       change of state needs {@code DELETE}, which no cross-site form can send and whose CORS
 *       preflight this server never approves. {@code GET} never changes anything.</li>
 * </ul>
 */
final class SessionsEndpoint {

    static final String PATH = "/sessions";

    private static final String JSON = "application/json";

    private final byte[] token;
    private final boolean loopback;
    private volatile ProxyManager proxy;

    /**
     * @param token    the metrics token, or null for none
     * @param loopback whether the metrics port listens on a loopback address only
     */
    SessionsEndpoint(byte[] token, boolean loopback) {
        this.token = token;
        this.loopback = loopback;
    }

    /** The proxy whose sessions to show; until then the endpoint answers 503. */
    void attach(ProxyManager proxy) {
        this.proxy = proxy;
    }

    static boolean handles(String path) {
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    MetricsServer.Answer answer(FullHttpRequest request, String path) {
        MetricsServer.Answer refusal = refusal(request);
        if (refusal != null) {
            return refusal;
        }
        ProxyManager running = proxy;
        if (running == null) {
            return text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not serving yet\n");
        }
        HttpMethod method = request.method();
        if (path.equals(PATH)) {
            if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
                return new MetricsServer.Answer(HttpResponseStatus.METHOD_NOT_ALLOWED, MetricsServer.TEXT,
                        "GET or HEAD only\n", "GET, HEAD");
            }
            List<LiveSession> sessions = running.sessions();
            String accept = request.headers().get(HttpHeaderNames.ACCEPT, "");
            return accept.contains("text/plain") ? text(HttpResponseStatus.OK, table(sessions))
                    : new MetricsServer.Answer(HttpResponseStatus.OK, JSON, json(sessions));
        }
        if (!HttpMethod.DELETE.equals(method)) {
            return new MetricsServer.Answer(HttpResponseStatus.METHOD_NOT_ALLOWED, MetricsServer.TEXT,
                    "DELETE only: it closes the session\n", "DELETE");
        }
        String idText = path.substring(PATH.length() + 1);
        long id;
        try {
            id = Long.parseLong(idText);
        } catch (NumberFormatException e) {
            return text(HttpResponseStatus.BAD_REQUEST, "session id: '" + idText + "' (expected: a number)\n");
        }
        return running.closeSession(id) ? text(HttpResponseStatus.OK, "closed " + id + "\n")
                : text(HttpResponseStatus.NOT_FOUND, "no open session " + id + "\n");
    }

    /** Why {@code request} may not use this endpoint, or null when it may. */
    private MetricsServer.Answer refusal(FullHttpRequest request) {
        if (request.headers().contains(HttpHeaderNames.ORIGIN)) {
            return text(HttpResponseStatus.FORBIDDEN, "requests from web pages are refused\n");
        }
        if (token != null) {
            return MetricsServer.authorized(request, token) ? null
                    : text(HttpResponseStatus.UNAUTHORIZED, "a bearer token is required\n");
        }
        if (!loopback) {
            return text(HttpResponseStatus.FORBIDDEN, "sessions: beyond loopback only with --metrics-token-file\n");
        }
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host != null && !isAddressOrLocalhost(host)) {
            return text(HttpResponseStatus.FORBIDDEN, "sessions: Host must be an IP address or localhost\n");
        }
        return null;
    }

    /** Whether a Host field names an IP literal or localhost, with or without a port. */
    static boolean isAddressOrLocalhost(String host) {
        String name = host.trim();
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            return end > 0 && NetUtil.isValidIpV6Address(name.substring(1, end));
        }
        int colon = name.indexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        return name.equalsIgnoreCase("localhost") || NetUtil.isValidIpV4Address(name);
    }

    private static MetricsServer.Answer text(HttpResponseStatus status, String body) {
        return new MetricsServer.Answer(status, MetricsServer.TEXT, body);
    }

    static String json(List<LiveSession> sessions) {
        ObjectNode root = Json.object();
        ArrayNode array = Json.array(root, "sessions");
        for (LiveSession s : sessions) {
            array.addObject().put("id", s.id())
                    .put("protocol", s.protocol().id())
                    .put("command", s.command().name())
                    .put("client", ServeCommand.format(s.client()))
                    .put("listener", ServeCommand.format(s.listener()))
                    .put("user", s.user())
                    .put("targetHost", s.targetHost())
                    .put("targetPort", s.targetPort())
                    .put("targetAddress", s.targetAddress() == null ? null : NetUtil.toAddressString(s.targetAddress()))
                    .put("route", s.route())
                    .put("started", s.started().toString())
                    .put("bytesUp", s.bytesUp())
                    .put("bytesDown", s.bytesDown());
        }
        return Json.line(root);
    }

    static String table(List<LiveSession> sessions) {
        // USER and TARGET padded by display width: a CJK name takes two columns a character.
        String format = "%-8s  %-7s  %-13s  %-22s  %s  %s  %-20s  %10s  %10s%n";
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, format, "ID", "PROTO", "COMMAND", "CLIENT",
                DisplayWidth.padRight("USER", 12), DisplayWidth.padRight("TARGET", 30), "STARTED (UTC)", "UP", "DOWN"));
        for (LiveSession s : sessions) {
            text.append(String.format(Locale.ROOT, format, s.id(), s.protocol().id(), s.command().name().toLowerCase(Locale.ROOT),
                    ServeCommand.format(s.client()), DisplayWidth.padRight(s.user() == null ? "-" : printable(s.user()), 12),
                    DisplayWidth.padRight(printable(s.targetHost()) + ":" + s.targetPort(), 30),
                    s.started().truncatedTo(ChronoUnit.SECONDS).toString().replace('T', ' '),
                    StatsCommand.bytes(s.bytesUp()), StatsCommand.bytes(s.bytesDown())));
        }
        return text.toString();
    }

    /** A name as the client sent it, with control characters shown as '?': nothing it sends reaches the terminal raw. */
    private static String printable(String name) {
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }
}

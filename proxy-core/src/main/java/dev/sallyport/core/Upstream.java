package dev.sallyport.core;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One upstream proxy of an {@link UpstreamGroup}: a SOCKS5 proxy (no authentication or user name
 * and password), an HTTP proxy (CONNECT, Basic authentication) or an HTTPS proxy (the same over
 * TLS, the certificate verified against the JDK's trust store or {@link Routing.Builder#trust}).
 * Immutable; {@link #toString()} never shows the password.
 *
 * <p>An upstream may also be a chain of hops ({@link #chain}): Sallyport connects to the first,
 * asks it for a tunnel to the second, and so on; the last hop connects to the target. A chain is
 * one member of its group: selection, health and retries treat it as a whole.
 *
 * <pre>{@code
 * Upstream.parse("socks5://alice:secret@10.0.0.5:1080");
 * Upstream.parse("https://proxy.example.com:8443?weight=3");
 * Upstream.parse("socks5://10.0.0.5:1080>http://10.1.0.7:3128");   // 10.0.0.5, then 10.1.0.7, then the target
 * }</pre>
 */
public final class Upstream {

    /** How Sallyport talks to the upstream proxy. */
    public enum Kind {
        /** SOCKS5 (RFC 1928), the host name sent unresolved; RFC 1929 login when a user is given. */
        SOCKS5,
        /** HTTP CONNECT; Basic authentication when a user is given. */
        HTTP,
        /** HTTP CONNECT over TLS to the proxy, its certificate verified. */
        HTTPS
    }

    private static final int MAX_WEIGHT = 1000;

    private final Kind kind;
    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final int weight;
    /** The hops of a chain, first to last; null for a single proxy. */
    private final List<Upstream> hops;

    private Upstream(Kind kind, String host, int port, String username, String password, int weight,
                     List<Upstream> hops) {
        this.kind = kind;
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.weight = weight;
        this.hops = hops;
    }

    /**
     * A chain: Sallyport connects to the first hop, each hop opens a tunnel to the next, and the
     * last one connects to the target. Its kind, host, port and login are the first hop's; its
     * weight is the last hop's.
     *
     * @param hops two or more single upstreams (not chains), first to last
     * @return the chain
     * @throws IllegalArgumentException when fewer than two hops are given, a hop is a chain, or a hop but the last has a weight
     * @throws NullPointerException     when {@code hops} or one of them is null
     */
    public static Upstream chain(Upstream... hops) {
        Objects.requireNonNull(hops, "hops");
        List<Upstream> list = List.of(hops);
        if (list.size() < 2) {
            throw new IllegalArgumentException("chain: " + list + " (expected: two or more hops)");
        }
        for (int i = 0; i < list.size(); i++) {
            Upstream hop = list.get(i);
            if (hop.hops != null) {
                throw new IllegalArgumentException("chain: hop " + hop + " (expected: a single upstream, not a chain)");
            }
            if (i < list.size() - 1 && hop.weight != 1) {
                throw new IllegalArgumentException("chain: hop " + hop + " (expected: a weight on the last hop only)");
            }
        }
        Upstream first = list.get(0);
        return new Upstream(first.kind, first.host, first.port, first.username, first.password,
                list.get(list.size() - 1).weight, list);
    }

    /**
     * Parses {@code scheme://[user[:password]@]host:port[?weight=N]} with scheme {@code socks5},
     * {@code socks5h} (the same: names always go unresolved), {@code http} or {@code https}.
     * User and password are percent-decoded. The weight (default 1, at most 1000) counts for
     * {@link UpstreamGroup.Strategy#WEIGHTED_RANDOM}. URLs joined by {@code >} make a
     * {@link #chain}, first hop first ({@code socks5://A:1080>http://B:3128}).
     *
     * @param url the upstream's URL, or the hops' URLs joined by {@code >}
     * @return the upstream
     * @throws IllegalArgumentException when the URL is not of that form; the message never shows the password
     * @throws NullPointerException when {@code url} is null
     */
    public static Upstream parse(String url) {
        Objects.requireNonNull(url, "url");
        if (url.indexOf('>') < 0) {
            return single(url);
        }
        List<Upstream> hops = new ArrayList<>();
        for (String hop : url.split(">", -1)) {
            hops.add(single(hop));
        }
        return chain(hops.toArray(Upstream[]::new));
    }

    private static Upstream single(String url) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw invalid(url, "a URL such as socks5://host:1080");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        Kind kind = switch (scheme) {
            case "socks5", "socks5h" -> Kind.SOCKS5;
            case "http" -> Kind.HTTP;
            case "https" -> Kind.HTTPS;
            default -> throw invalid(url, "scheme socks5, http or https");
        };
        if (uri.getHost() == null || uri.getPort() < 1 || uri.getPort() > 65535) {
            throw invalid(url, "host and port 1-65535");
        }
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")
                || uri.getRawFragment() != null) {
            throw invalid(url, "no path");
        }
        String user = null;
        String pass = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            pass = colon < 0 ? "" : decode(info.substring(colon + 1));
            if (user.isEmpty() || user.length() > 255 || pass.length() > 255) {
                throw invalid(url, "a user name of 1-255 chars and a password of at most 255");
            }
        }
        int weight = 1;
        if (uri.getRawQuery() != null) {
            String query = uri.getRawQuery();
            if (!query.startsWith("weight=")) {
                throw invalid(url, "?weight=N only");
            }
            try {
                weight = Integer.parseInt(query.substring("weight=".length()));
            } catch (NumberFormatException e) {
                weight = 0;
            }
            if (weight < 1 || weight > MAX_WEIGHT) {
                throw invalid(url, "weight 1-" + MAX_WEIGHT);
            }
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        return new Upstream(kind, host, uri.getPort(), user, pass, weight, null);
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException invalid(String url, String expected) {
        return new IllegalArgumentException("upstream: '" + redact(url) + "' (expected: " + expected + ")");
    }

    /** The URL with any password replaced, for messages. */
    static String redact(String url) {
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (scheme < 0 || at < scheme) {
            return url;
        }
        int colon = url.indexOf(':', scheme + 3);
        return colon < 0 || colon > at ? url : url.substring(0, colon) + ":***" + url.substring(at);
    }

    /** @return how Sallyport talks to it */
    public Kind kind() {
        return kind;
    }

    /** @return the proxy's host name or address */
    public String host() {
        return host;
    }

    /** @return the proxy's port */
    public int port() {
        return port;
    }

    /** @return the user name to log in with, or {@code null} for none */
    public String username() {
        return username;
    }

    /** @return the password to log in with, or {@code null} for none; never logged */
    public String password() {
        return password;
    }

    /** @return the weight for weighted random selection, 1-1000 */
    public int weight() {
        return weight;
    }

    /** @return the hops, first to last: just this upstream unless it is a {@link #chain} */
    public List<Upstream> hops() {
        return hops == null ? List.of(this) : hops;
    }

    /** @return {@code host:port} (a chain's hops joined by {@code >}), the name used in logs, summaries and metrics */
    public String name() {
        if (hops != null) {
            return hops.stream().map(Upstream::name).collect(Collectors.joining(">"));
        }
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** @return the URL (a chain's URLs joined by {@code >}) with passwords shown as {@code ***} */
    @Override
    public String toString() {
        if (hops != null) {
            String chain = hops.stream().map(hop -> hop.url(1)).collect(Collectors.joining(">"));
            return chain + (weight == 1 ? "" : "?weight=" + weight);
        }
        return url(weight);
    }

    private String url(int shownWeight) {
        return kind.name().toLowerCase(Locale.ROOT) + "://" + (username == null ? "" : username + ":***@") + name()
                + (shownWeight == 1 ? "" : "?weight=" + shownWeight);
    }
}

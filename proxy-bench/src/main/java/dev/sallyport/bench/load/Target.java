package dev.sallyport.bench.load;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * What the load generator talks through: nothing ({@code direct}), a SOCKS5 proxy or an HTTP
 * CONNECT proxy, optionally with a user name and password. Proxies must be on loopback: the
 * benchmark never sends a byte off this machine.
 *
 * <p>Written as {@code direct}, {@code socks5://127.0.0.1:1080},
 * {@code socks5://user:password@127.0.0.1:1080} or {@code http://127.0.0.1:3128}.
 */
record Target(Kind kind, InetSocketAddress proxy, String user, String password) {

    enum Kind { DIRECT, SOCKS5, HTTP }

    Target {
        Objects.requireNonNull(kind, "kind");
        if (kind != Kind.DIRECT) {
            Objects.requireNonNull(proxy, "proxy");
            if (!proxy.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("target: " + proxy + " (expected: a proxy on a loopback address)");
            }
        }
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException("target: user and password go together");
        }
    }

    static Target direct() {
        return new Target(Kind.DIRECT, null, null, null);
    }

    /** Parses the forms in the class comment. */
    static Target parse(String text) {
        if (text.equals("direct")) {
            return direct();
        }
        URI uri = URI.create(text);
        Kind kind = switch (String.valueOf(uri.getScheme())) {
            case "socks5" -> Kind.SOCKS5;
            case "http" -> Kind.HTTP;
            default -> throw new IllegalArgumentException("target: " + text
                    + " (expected: direct, socks5://[user:password@]host:port or http://[user:password@]host:port)");
        };
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("target: " + text + " (expected: a host and a port)");
        }
        InetAddress address;
        try {
            // Loopback literals and "localhost" only; anything else is refused below.
            address = InetAddress.getByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("target: " + text + " (expected: a loopback address)", e);
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getUserInfo();
            int colon = info.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("target: user info (expected: user:password)");
            }
            user = info.substring(0, colon);
            password = info.substring(colon + 1);
        }
        return new Target(kind, new InetSocketAddress(address, uri.getPort()), user, password);
    }

    boolean authenticates() {
        return user != null;
    }

    /** Where a connection goes first: the proxy, or the destination itself. */
    InetSocketAddress firstHop(InetSocketAddress destination) {
        return kind == Kind.DIRECT ? destination : proxy;
    }

    /** A fresh handshake for one tunnel to {@code destination}. */
    ProxyDialogue dialogue(InetSocketAddress destination) {
        return switch (kind) {
            case DIRECT -> ProxyDialogue.direct();
            case SOCKS5 -> ProxyDialogue.socks5(destination, user, password);
            case HTTP -> ProxyDialogue.httpConnect(destination, user, password);
        };
    }

    @Override
    public String toString() {
        if (kind == Kind.DIRECT) {
            return "direct";
        }
        String scheme = kind == Kind.SOCKS5 ? "socks5" : "http";
        String auth = user == null ? "" : user + ":***@";
        return scheme + "://" + auth + proxy.getAddress().getHostAddress() + ":" + proxy.getPort();
    }
}

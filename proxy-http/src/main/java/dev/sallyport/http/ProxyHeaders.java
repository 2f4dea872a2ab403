package dev.sallyport.http;

import dev.sallyport.api.Credentials;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/** The header rules a proxy applies on both legs (RFC 9110 sections 7.6 and 11.7). */
final class ProxyHeaders {

    /** What this proxy adds to {@code Via} (RFC 9110 section 7.6.3). */
    static final String VIA = "1.1 sallyport";

    /** Marks a {@code Proxy-Authorization} header that cannot be decoded. */
    static final Credentials MALFORMED = Credentials.token("");

    private static final String PROXY_CONNECTION = "proxy-connection";

    private ProxyHeaders() {
    }

    /**
     * Removes the hop-by-hop fields (RFC 9110 section 7.6.1): {@code Connection} and every field
     * it names, and the fields that are hop-by-hop by definition, proxy credentials included.
     * Framing fields named in {@code Connection} stay: dropping them would change where the
     * message ends.
     */
    static void removeHopByHop(HttpHeaders headers) {
        List<String> named = new ArrayList<>();
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String name = token.trim().toLowerCase(Locale.ROOT);
                if (!name.isEmpty()) {
                    named.add(name);
                }
            }
        }
        for (String name : named) {
            if (!HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                    && !HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                    && !HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
                headers.remove(name);
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION)
                .remove(HttpHeaderNames.KEEP_ALIVE)
                .remove(PROXY_CONNECTION)
                .remove(HttpHeaderNames.TE)
                .remove(HttpHeaderNames.TRAILER)
                .remove(HttpHeaderNames.UPGRADE)
                .remove(HttpHeaderNames.PROXY_AUTHORIZATION)
                .remove(HttpHeaderNames.PROXY_AUTHENTICATE);
    }

    /** Appends this proxy to {@code Via}. */
    static void addVia(HttpHeaders headers) {
        headers.add(HttpHeaderNames.VIA, VIA);
    }

    /**
     * The credentials in {@code Proxy-Authorization}: {@code Basic} (RFC 7617) as user name and
     * password, {@code Bearer} (RFC 6750) as a token, {@link Credentials#none()} when absent, and
     * {@link #MALFORMED} when present but not decodable or of another scheme.
     */
    static Credentials credentials(HttpHeaders headers) {
        String value = headers.get(HttpHeaderNames.PROXY_AUTHORIZATION);
        if (value == null) {
            return Credentials.none();
        }
        value = value.trim();
        int space = value.indexOf(' ');
        if (space < 0) {
            return MALFORMED;
        }
        String scheme = value.substring(0, space);
        String param = value.substring(space + 1).trim();
        if (param.isEmpty()) {
            return MALFORMED;
        }
        if ("basic".equalsIgnoreCase(scheme)) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(param), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return MALFORMED;
            }
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                return MALFORMED;
            }
            return Credentials.password(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
        if ("bearer".equalsIgnoreCase(scheme)) {
            return Credentials.token(param);
        }
        return MALFORMED;
    }
}

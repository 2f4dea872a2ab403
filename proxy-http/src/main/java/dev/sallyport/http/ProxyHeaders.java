package dev.sallyport.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The header rules a proxy applies on both legs (RFC 9110 sections 7.6 and 11.7). */
final class ProxyHeaders {

    /** What this proxy adds to {@code Via} (RFC 9110 section 7.6.3). */
    static final String VIA = "1.1 sallyport";

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
            for (String token : value.split(",", -1)) {
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
}

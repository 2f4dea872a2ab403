package dev.sallyport.core.internal;

import dev.sallyport.api.Credentials;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Credentials from an {@code Authorization} or {@code Proxy-Authorization} field: {@code Basic}
 * (RFC 7617, user-id and password in UTF-8) or {@code Bearer} (RFC 6750), the scheme
 * case-insensitive. One reading for the HTTP proxy and the forward-auth endpoint, so that the
 * same field makes the same credentials (and the same auth-cache entry) on both.
 */
public final class AuthorizationHeader {

    /** A field that names no credentials core reads: another scheme, or one that cannot be decoded. */
    public static final Credentials MALFORMED = Credentials.token("");

    private AuthorizationHeader() {
    }

    /** The credentials of {@code field}: {@link Credentials#none()} for null, else {@link #MALFORMED} when unreadable. */
    public static Credentials parse(String field) {
        if (field == null) {
            return Credentials.none();
        }
        String value = field.trim();
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

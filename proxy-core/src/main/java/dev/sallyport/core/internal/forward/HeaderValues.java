package dev.sallyport.core.internal.forward;

import java.nio.charset.StandardCharsets;

/**
 * User names and attributes made safe for response header fields: no CR, LF or other control
 * character can end a field early or start another (header injection into the reverse proxy's
 * request to the service behind it).
 */
final class HeaderValues {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private HeaderValues() {
    }

    /**
     * {@code value} in printable ASCII: every other character, and {@code %} itself, as
     * percent-encoded UTF-8 (RFC 3986 section 2.1), so the service behind can decode it exactly.
     */
    static String encode(String value) {
        StringBuilder text = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '%') {
                if (text != null) {
                    text.append(c);
                }
                continue;
            }
            if (text == null) {
                text = new StringBuilder(value.length() + 16).append(value, 0, i);
            }
            int end = Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))
                    ? i + 2 : i + 1;
            for (byte b : value.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                text.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
            i = end - 1;
        }
        return text == null ? value : text.toString();
    }

    /**
     * An attribute key as a field-name suffix: letters, digits and {@code -}, with {@code _} and
     * {@code .} read as {@code -}; null when the key holds anything else, is empty or longer than {@code max}.
     */
    static String key(String key, int max) {
        if (key.isEmpty() || key.length() > max) {
            return null;
        }
        char[] chars = key.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            if (c == '_' || c == '.') {
                chars[i] = '-';
            } else if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                return null;
            }
        }
        return new String(chars);
    }
}

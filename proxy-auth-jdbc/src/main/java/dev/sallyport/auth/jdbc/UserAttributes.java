package dev.sallyport.auth.jdbc;

import java.util.Objects;

/**
 * The rule for the attributes of users in a {@link JdbcStore}: {@code KEY=VALUE} pairs that every
 * login of the user carries in its principal, where route rules ({@code attr:upstream=eu}) and
 * access rules read them. Set them with {@link JdbcStore#attributes(String, java.util.Map)} or
 * {@code bin/sallyport users set NAME --attr KEY=VALUE}.
 */
public final class UserAttributes {

    /** The longest key, in characters. */
    public static final int MAX_KEY = 64;

    /** The longest value, in characters. */
    public static final int MAX_VALUE = 1024;

    /** Keys with this prefix belong to core (such as the credential version) and cannot be stored. */
    public static final String RESERVED_PREFIX = "sallyport.";

    /** The rule in words, for help texts. */
    public static final String RULE = "KEY: letters, digits, '-', '_' or '.', 1-" + MAX_KEY
            + " characters, not starting with '" + RESERVED_PREFIX + "'; VALUE: at most " + MAX_VALUE
            + " characters, no control characters";

    private UserAttributes() {
    }

    /**
     * Checks a key and a value against the rule.
     *
     * @param key   the key
     * @param value the value; empty is allowed (it removes the key where attributes are changed)
     * @throws IllegalArgumentException naming what breaks the rule
     * @throws NullPointerException     when either is null
     */
    public static void validate(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (!validKey(key)) {
            throw new IllegalArgumentException("attribute key: '" + printable(key) + "' (expected: letters, digits, "
                    + "'-', '_' or '.', 1-" + MAX_KEY + " characters)");
        }
        if (key.startsWith(RESERVED_PREFIX)) {
            throw new IllegalArgumentException("attribute key: '" + key + "' (expected: not starting with '"
                    + RESERVED_PREFIX + "', which core reserves)");
        }
        if (value.length() > MAX_VALUE) {
            throw new IllegalArgumentException("attribute " + key + ": " + value.length() + " characters (expected: at most "
                    + MAX_VALUE + ")");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException("attribute " + key + ": a control character at index " + i
                        + " (expected: none)");
            }
        }
    }

    private static boolean validKey(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** A refused key as it may be shown: bounded, control characters replaced. */
    private static String printable(String key) {
        String head = key.length() > MAX_KEY ? key.substring(0, MAX_KEY) + "..." : key;
        StringBuilder out = new StringBuilder(head.length());
        head.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }
}

package dev.sallyport.api;

import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The one rule for user names and passwords, applied by every {@link UserStore} (the in-memory
 * store, the JDBC store, the builder's {@code user(...)}) so that a name or password one store
 * accepts is never refused by another.
 */
public final class UserNames {

    /** The longest password accepted by {@code create}, in UTF-8 bytes. */
    public static final int MAX_PASSWORD_BYTES = 1024;

    /** The rule for a new user name, as {@link #validate} words it. */
    public static final String RULE = "1-255 bytes of UTF-8, no control character, no ':', no space at either end";

    private UserNames() {
    }

    /**
     * Checks a new user name against {@link #RULE}: 1 to 255 bytes of UTF-8 (the SOCKS5 limit),
     * well-formed (no lone surrogate that UTF-8 would silently turn into '?'), no control characters
     * (PostgreSQL text cannot hold NUL, and names end up in logs and terminals), no {@code ':'}
     * (HTTP Basic cannot carry it in a user name, RFC 7617 section 2) and no space or other blank
     * at either end (a name typed with one would never match the name the client sends).
     *
     * @param name the name to check
     */
    public static void validate(String name) {
        Objects.requireNonNull(name, "name");
        String problem = problem(name);
        if (problem == null) {
            problem = newNameProblem(name);
        }
        if (problem != null) {
            throw new IllegalArgumentException("name: " + problem);
        }
    }

    /**
     * Whether {@code name} could be a stored user's name, so worth a lookup; never throws. Looser
     * than {@link #validate}: names stored before the {@code ':'} and blank rules (which only
     * {@code create} applies) can still sign in, be listed and be removed.
     *
     * @param name the name to check
     * @return whether it has a length and characters a store can hold
     */
    public static boolean plausible(String name) {
        return name != null && problem(name) == null;
    }

    /**
     * Checks a password set by a caller: 1 to {@value #MAX_PASSWORD_BYTES} bytes of well-formed
     * UTF-8.
     *
     * @param password the password to check
     */
    public static void validatePassword(String password) {
        Objects.requireNonNull(password, "password");
        if (password.isEmpty()) {
            throw new IllegalArgumentException("password: empty (expected: at least one character, or null to generate)");
        }
        int bytes = utf8Length(password);
        if (bytes < 0) {
            throw new IllegalArgumentException("password: not valid Unicode (expected: well-formed UTF-16, no lone surrogate)");
        }
        if (bytes > MAX_PASSWORD_BYTES) {
            throw new IllegalArgumentException("password: " + bytes + " bytes (expected: at most " + MAX_PASSWORD_BYTES
                    + " bytes of UTF-8)");
        }
    }

    private static String problem(String name) {
        int bytes = utf8Length(name);
        if (bytes < 0) {
            return "not valid Unicode (expected: well-formed UTF-16, no lone surrogate)";
        }
        if (bytes == 0 || bytes > 255) {
            return bytes + " bytes (expected: 1-255 bytes of UTF-8)";
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                return "contains a control character at index " + i + " (expected: printable characters)";
            }
        }
        return null;
    }

    private static String newNameProblem(String name) {
        int colon = name.indexOf(':');
        if (colon >= 0) {
            return "contains ':' at index " + colon + " (expected: no ':', which HTTP Basic cannot carry in a name)";
        }
        if (blank(name.codePointAt(0)) || blank(name.codePointBefore(name.length()))) {
            return "'" + name + "' starts or ends with a space (expected: no space or other blank at either end)";
        }
        return null;
    }

    /** A space, tab or other Unicode blank (no-break and ideographic spaces included). */
    private static boolean blank(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
    }

    /** UTF-8 length, or -1 when the string holds a lone surrogate. */
    private static int utf8Length(String s) {
        try {
            return StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s)).remaining();
        } catch (CharacterCodingException e) {
            return -1;
        }
    }
}

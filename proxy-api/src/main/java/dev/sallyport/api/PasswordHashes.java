package dev.sallyport.api;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Password and token hashing for {@link UserStore}s and {@link AuthBackend}s, with the JDK only.
 * Passwords are stored as {@code pbkdf2-sha256$ITERATIONS$SALT$HASH} (salt and hash in unpadded
 * Base64), so a hash made by one store verifies in any other. Tokens are 256 random bits, so a plain
 * SHA-256 (hex) is enough: there is nothing to brute-force.
 */
public final class PasswordHashes {

    /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
    public static final int ITERATIONS = 210_000;
    private static final String PREFIX = "pbkdf2-sha256";
    /** A stored hash with more iterations than this is treated as corrupt, not as work to do. */
    private static final int MAX_ITERATIONS = 10_000_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

    private PasswordHashes() {
    }

    /**
     * A salted PBKDF2 hash of {@code password}, {@link #ITERATIONS} rounds: slow on purpose.
     *
     * @param password the password
     * @return the encoded hash, salt and iteration count included
     */
    public static String hash(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return PREFIX + "$" + ITERATIONS + "$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(pbkdf2(password, salt, ITERATIONS));
    }

    /**
     * Constant-time check of {@code password} against a stored hash; false for a malformed one.
     *
     * @param password the password to check
     * @param stored a hash from {@link #hash}
     * @return whether they match
     */
    public static boolean verify(String password, String stored) {
        String[] parts = stored.split("\\$", -1);
        if (parts.length != 4 || !parts[0].equals(PREFIX)) {
            return false;
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] expected = Base64.getDecoder().decode(parts[3]);
            if (iterations < 1 || iterations > MAX_ITERATIONS || salt.length == 0 || expected.length == 0) {
                return false;
            }
            return MessageDigest.isEqual(expected, pbkdf2(password, salt, iterations));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether {@code text} has the form {@link #hash} produces ({@code pbkdf2-sha256$ITERATIONS$SALT$HASH},
     * a sane iteration count, non-empty Base64 salt and hash): what a configuration file may hold
     * instead of a plaintext password. Says nothing about which password it is the hash of.
     *
     * @param text the text to check
     * @return whether it is a well-formed hash
     */
    public static boolean isHash(String text) {
        String[] parts = text.split("\\$", -1);
        if (parts.length != 4 || !parts[0].equals(PREFIX)) {
            return false;
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            return iterations >= 1 && iterations <= MAX_ITERATIONS && Base64.getDecoder().decode(parts[2]).length > 0
                    && Base64.getDecoder().decode(parts[3]).length > 0;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * SHA-256 of the token's UTF-8 bytes, as 64 lowercase hex digits.
     *
     * @param token the token
     * @return the hex digest
     */
    public static String tokenHash(String token) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * Constant-time equality of two hex hashes.
     *
     * @param a one hash
     * @param b the other hash
     * @return whether both are equal
     */
    public static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * A random secret of {@code bytes} bytes as URL-safe Base64 without padding.
     *
     * @param bytes the number of random bytes
     * @return the secret
     */
    public static String randomSecret(int bytes) {
        byte[] raw = new byte[bytes];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        } finally {
            spec.clearPassword();
        }
    }
}

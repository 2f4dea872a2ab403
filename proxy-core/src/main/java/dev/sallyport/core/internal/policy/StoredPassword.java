package dev.sallyport.core.internal.policy;

import dev.sallyport.api.PasswordHashes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A password as {@link InMemoryUserStore} keeps it: a {@link PasswordHashes} hash, or a
 * configured plaintext password that is hashed on its first check rather than at start (with a
 * thousand users in a file, hashing them all up front took a minute). The first check compares
 * the plaintext in constant time and then hashes it, one PBKDF2 run like any other check, so the
 * answer takes as long as a check against a hash or against an unknown name; from then on only
 * the hash is kept. Never shows a password or a hash in {@link #toString()}.
 */
public final class StoredPassword {

    private volatile String hash;
    /** The configured password until its first check; guarded by {@code this}. */
    private String plain;

    private StoredPassword(String hash, String plain) {
        this.hash = hash;
        this.plain = plain;
    }

    /** A password given as a {@link PasswordHashes#hash} (checked by the caller). */
    public static StoredPassword hashed(String hash) {
        return new StoredPassword(hash, null);
    }

    /** A plaintext password, hashed on its first check. */
    public static StoredPassword plain(String password) {
        return new StoredPassword(null, password);
    }

    /** Whether {@code candidate} is this password; slow on purpose, runs on a hashing thread. */
    boolean matches(String candidate, InMemoryUserStore.Verifier verifier) {
        String known = hash;
        if (known == null) {
            synchronized (this) {
                if (hash == null) {
                    boolean same = MessageDigest.isEqual(sha256(candidate), sha256(plain));
                    hash = PasswordHashes.hash(plain);
                    plain = null;
                    return same;
                }
            }
            known = hash;
        }
        return verifier.verify(candidate, known);
    }

    /** Whether the password is still waiting for its first check (tests). */
    synchronized boolean pending() {
        return plain != null;
    }

    // Equal lengths for MessageDigest.isEqual, which then compares in constant time.
    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public String toString() {
        return "StoredPassword[***]";
    }
}

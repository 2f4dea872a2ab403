package dev.sallyport.core.internal.reload;

import dev.sallyport.core.internal.policy.InMemoryUserStore;
import dev.sallyport.core.internal.policy.StoredPassword;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The users a configuration put into the in-memory store, and a keyed fingerprint (HMAC-SHA256
 * under a key drawn per manager) of each one's configured secret, so that a reload tells an
 * unchanged password from a changed one without a PBKDF2 run per user and without keeping the
 * passwords: unchanged users keep their credential version and their sessions, changed ones get a
 * new version (their sessions close), removed ones are deleted (theirs close too). Users created
 * through the store's API and never configured are left alone. Not thread-safe: the caller
 * serializes (start, then reloads under {@link LiveConfig}'s lock).
 */
final class ConfiguredUsers {

    /** What one {@link #apply} did. */
    record Change(int added, int changed, int removed, int total) {
        @Override
        public String toString() {
            return total + " configured user(s): " + added + " added, " + changed + " changed, " + removed + " removed";
        }
    }

    private final InMemoryUserStore store;
    private final Mac mac;
    private Map<String, byte[]> fingerprints = new HashMap<>();

    ConfiguredUsers(InMemoryUserStore store) {
        this.store = store;
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** Makes the store's configured users those of {@code users} (name, password or hash). */
    Change apply(List<Map.Entry<String, String>> users, Set<String> hashed) {
        Map<String, byte[]> next = new HashMap<>();
        int added = 0;
        int changed = 0;
        for (Map.Entry<String, String> user : users) {
            String name = user.getKey();
            boolean isHash = hashed.contains(name);
            byte[] fingerprint = mac.doFinal(((isHash ? "hash:" : "plain:") + user.getValue()).getBytes(StandardCharsets.UTF_8));
            next.put(name, fingerprint);
            byte[] before = fingerprints.get(name);
            if (before == null || !MessageDigest.isEqual(before, fingerprint)) {
                store.configure(name, isHash ? StoredPassword.hashed(user.getValue()) : StoredPassword.plain(user.getValue()));
                if (before == null) {
                    added++;
                } else {
                    changed++;
                }
            }
        }
        int removed = 0;
        for (String name : fingerprints.keySet()) {
            if (!next.containsKey(name)) {
                store.delete(name);
                removed++;
            }
        }
        fingerprints = next;
        return new Change(added, changed, removed, next.size());
    }
}

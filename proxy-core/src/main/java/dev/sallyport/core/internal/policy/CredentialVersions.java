package dev.sallyport.core.internal.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sallyport.api.Principal;
import dev.sallyport.core.Ticker;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@link Principal#CREDENTIAL_VERSION} of the principals the backends returned, kept out of
 * the principals themselves (rules, listeners and logs never see it), and the newest version
 * announced per user. Versions are held by principal identity, weakly: sessions and the auth
 * cache hold the very instance, and a principal nobody holds any more takes its entry with it.
 */
final class CredentialVersions {

    /** Longer than any login check may run (its deadline is a handshake or connect timeout). */
    private static final Duration FLOOR_TTL = Duration.ofMinutes(10);

    private final Cache<Principal, Long> versions = Caffeine.newBuilder().weakKeys().build();
    /**
     * The newest version announced per user, kept while a check that read the user before the
     * rotation may still be running: its older principal is refused.
     */
    private final Cache<String, Long> floors;

    CredentialVersions(Ticker ticker) {
        this.floors = Caffeine.newBuilder().ticker(ticker::read).expireAfterWrite(FLOOR_TTL).maximumSize(100_000).build();
    }

    /**
     * {@code principal} without the attribute, its version remembered; the principal itself when
     * it has none; null when it is older than a version announced for its user meanwhile.
     */
    Principal admit(Principal principal) {
        String attribute = principal.attributes().get(Principal.CREDENTIAL_VERSION);
        if (attribute == null) {
            return principal;
        }
        long version;
        try {
            version = Long.parseLong(attribute);
        } catch (NumberFormatException e) {
            version = AuthChain.NO_VERSION;
        }
        Long floor = floors.getIfPresent(principal.name());
        if (floor != null && version < floor) {
            return null;
        }
        Map<String, String> attributes = new HashMap<>(principal.attributes());
        attributes.remove(Principal.CREDENTIAL_VERSION);
        Principal stripped = new Principal(principal.name(), principal.limits(), attributes);
        if (version != AuthChain.NO_VERSION) {
            versions.put(stripped, version);
        }
        return stripped;
    }

    /** Credentials of {@code version} were issued to {@code user}: older ones no longer log in. */
    void announced(String user, long version) {
        floors.asMap().merge(user, version, Math::max);
    }

    long of(Principal principal) {
        Long version = versions.getIfPresent(principal);
        return version == null ? AuthChain.NO_VERSION : version;
    }
}

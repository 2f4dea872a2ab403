package dev.sallyport.examples.embedding;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AccessRuleProvider;
import dev.sallyport.core.AccessRules;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * An {@link AccessRuleProvider} a host ships so that configuration can name its rule instead of
 * code building it: {@code domain-blocklist}, which denies targets named by a blocklisted domain
 * pattern and abstains on the rest. Registered in
 * {@code META-INF/services/dev.sallyport.api.AccessRuleProvider}, so that
 *
 * <pre>{@code
 * ProxyManager.builder().socks5(1080)
 *     .accessRule("domain-blocklist", Map.of("domains", "ads.example,*.tracker.example"))
 *     .start();
 * }</pre>
 *
 * <p>or, in the standalone server's {@code --config} file, {@code rule-provider=domain-blocklist}
 * and {@code rule.domains=ads.example,*.tracker.example}. Settings: {@code domains} (required),
 * comma-separated patterns as {@link AccessRules#denyDomains} takes them. A bad setting fails
 * {@code start()} with an {@link IllegalArgumentException} naming the provider and the setting.
 */
public final class DomainBlocklistProvider implements AccessRuleProvider {

    private static final Set<String> SETTINGS = Set.of("domains");

    /** For {@link java.util.ServiceLoader}. */
    public DomainBlocklistProvider() {
    }

    @Override
    public String name() {
        return "domain-blocklist";
    }

    @Override
    public AccessRule create(Map<String, String> settings) {
        for (String key : settings.keySet()) {
            if (!SETTINGS.contains(key)) {
                throw new IllegalArgumentException("domain-blocklist: unknown setting '" + key + "' (expected one of: "
                        + SETTINGS + ")");
            }
        }
        String domains = settings.get("domains");
        if (domains == null || domains.isBlank()) {
            throw new IllegalArgumentException("domain-blocklist: setting 'domains' missing (expected: "
                    + "comma-separated domain patterns, e.g. ads.example,*.tracker.example)");
        }
        String[] patterns = Arrays.stream(domains.split(",")).map(String::trim).filter(p -> !p.isEmpty())
                .toArray(String[]::new);
        try {
            return AccessRule.named("domain-blocklist", AccessRules.denyDomains(patterns));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("domain-blocklist: setting 'domains' (" + e.getMessage() + ")", e);
        }
    }
}

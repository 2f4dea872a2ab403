package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The ordered rules: the host's first, then core's defaults; the first decision wins. */
public final class RuleChain {

    private static final Logger log = LoggerFactory.getLogger(RuleChain.class);

    /** A decision and the name of the rule that made it ({@code default} when none decided). */
    public record Verdict(Decision decision, String rule) {
        public boolean allowed() {
            return decision.verdict() != Decision.Verdict.DENY;
        }
    }

    private static final Verdict DEFAULT_ALLOW = new Verdict(Decision.allow("no rule denied"), "default");
    private static final Decision NULL_DENIES = Decision.deny("rule returned null (fail closed)");

    /**
     * The rules already reported for returning null, so that each instance is logged once, not
     * once per request. Weak keys compared by identity: a rule the host dropped is forgotten with
     * it, and two equal rule objects are two rules. Only the null path touches it.
     */
    private static final Map<AccessRule, Boolean> REPORTED_NULL = Caffeine.newBuilder().weakKeys()
            .<AccessRule, Boolean>build().asMap();

    private final AccessRule[] rules;

    /**
     * The host's {@code configured} rules in order, then core's {@code defaults}; the defaults that
     * are boundaries ({@link DefaultRules#isBoundary}) go first, where no host rule can override them.
     */
    public RuleChain(List<AccessRule> configured, List<AccessRule> defaults) {
        List<AccessRule> all = new ArrayList<>();
        defaults.stream().filter(DefaultRules::isBoundary).forEach(all::add);
        all.addAll(configured);
        defaults.stream().filter(rule -> !DefaultRules.isBoundary(rule)).forEach(all::add);
        this.rules = all.toArray(AccessRule[]::new);
    }

    /**
     * Evaluates every resolved address: the first one denied decides (a name that resolves to a
     * public and a private address is refused); otherwise the verdict for the first address.
     */
    public Verdict evaluateAll(ProxyRequest request, Principal principal, List<InetAddress> addresses) {
        Verdict first = null;
        for (InetAddress address : addresses) {
            Verdict verdict = evaluate(new AccessRequest(request, principal, address));
            if (!verdict.allowed()) {
                return verdict;
            }
            if (first == null) {
                first = verdict;
            }
        }
        return first;
    }

    public Verdict evaluate(AccessRequest request) {
        for (AccessRule rule : rules) {
            Decision decision;
            try {
                decision = rule.evaluate(request);
            } catch (RuntimeException e) {
                log.warn("Access rule {} threw; denying the request", rule.name(), e);
                return new Verdict(Decision.deny("rule failed"), rule.name());
            }
            if (decision == null) {
                // A rule with a bug must not open the proxy: null is a denial, like a throw.
                reportNull(rule);
                return new Verdict(NULL_DENIES, rule.name());
            }
            if (decision.verdict() != Decision.Verdict.ABSTAIN) {
                return new Verdict(decision, rule.name());
            }
        }
        return DEFAULT_ALLOW;
    }

    private static void reportNull(AccessRule rule) {
        if (REPORTED_NULL.putIfAbsent(rule, Boolean.TRUE) == null) {
            log.warn("Access rule {} ({}) returned null instead of a Decision; denying its requests (fail closed). "
                    + "Return Decision.abstain() for no opinion. Logged once per rule", rule.name(), rule.getClass().getName());
        }
    }
}

package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

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

    private final AccessRule[] rules;

    public RuleChain(List<AccessRule> configured, List<AccessRule> defaults) {
        List<AccessRule> all = new ArrayList<>(configured);
        all.addAll(defaults);
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
            if (decision != null && decision.verdict() != Decision.Verdict.ABSTAIN) {
                return new Verdict(decision, rule.name());
            }
        }
        return DEFAULT_ALLOW;
    }
}

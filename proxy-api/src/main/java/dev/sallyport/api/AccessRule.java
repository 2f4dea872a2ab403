package dev.sallyport.api;

/**
 * Decides whether a request may proceed. Rules are ordered; the first one that does not
 * abstain decides, and a request no rule decides on is allowed.
 *
 * <p>Threading: called on a network event loop for every request; must be fast, must not block,
 * must not throw and must not return null. Core fails closed: an exception or a null result
 * denies the request like {@link Decision#deny}; a null is logged at WARN once per rule.
 */
@FunctionalInterface
public interface AccessRule {

    /**
     * Decides on one request: allow, deny or abstain, never null (null denies the request).
     *
     * @param request the request: client, user, resolved target, command
     * @return allow, deny or abstain
     */
    Decision evaluate(AccessRequest request);

    /**
     * A short stable name, shown in logs, the access log and {@code explain}.
     *
     * @return the rule's name
     */
    default String name() {
        return getClass().getSimpleName();
    }

    /**
     * A rule that allows everything.
     *
     * @return a rule that allows every request
     */
    static AccessRule allowAll() {
        return NamedRule.ALLOW_ALL;
    }

    /**
     * Gives {@code rule} a name.
     *
     * @param name the name to show
     * @param rule the rule to name
     * @return {@code rule} under {@code name}
     */
    static AccessRule named(String name, AccessRule rule) {
        return new NamedRule(name, rule);
    }
}

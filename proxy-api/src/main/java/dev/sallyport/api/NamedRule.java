package dev.sallyport.api;

import java.util.Objects;

/** An access rule with an explicit name. */
record NamedRule(String name, AccessRule rule) implements AccessRule {

    static final AccessRule ALLOW_ALL = new NamedRule("allow-all", request -> Decision.allow());

    NamedRule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rule, "rule");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: not blank)");
        }
    }

    @Override
    public Decision evaluate(AccessRequest request) {
        return rule.evaluate(request);
    }
}

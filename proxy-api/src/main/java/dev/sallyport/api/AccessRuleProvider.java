package dev.sallyport.api;

/**
 * A {@link NamedProvider} of {@link AccessRule} instances, registered in
 * {@code META-INF/services/dev.sallyport.api.AccessRuleProvider}. Used when configuration names
 * it: {@code ProxyManager.builder().accessRule("name", settings)}, or the standalone server's
 * {@code rule-provider=name} with {@code rule.KEY=VALUE} settings.
 */
public interface AccessRuleProvider extends NamedProvider<AccessRule> {
}

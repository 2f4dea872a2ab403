package dev.sallyport.api;

/** A {@link NamedProvider} of {@link AccessRule} instances, registered in {@code META-INF/services}. */
public interface AccessRuleProvider extends NamedProvider<AccessRule> {
}

package dev.sallyport.api;

import java.util.Map;
import java.util.Objects;

/**
 * An authenticated identity: who the client is, the limits that apply to it and free-form
 * attributes that access rules may read (for example {@code ports=80,443}).
 *
 * @param name       the user name; never a secret
 * @param limits     the user's limits
 * @param attributes attributes for access rules, copied and unmodifiable
 */
public record Principal(String name, Limits limits, Map<String, String> attributes) {

    /**
     * A reserved attribute: a backend whose users' passwords and tokens can be replaced sets it
     * to the decimal version of the credentials the login used, so that a rotation closes exactly
     * the sessions opened with older ones (see {@link UserStore.Listener#credentialsChanged}).
     * Core removes it from the principal before access rules, listeners and logs see it.
     */
    public static final String CREDENTIAL_VERSION = "sallyport.credential-version";

    private static final Principal ANONYMOUS = new Principal("anonymous", Limits.NONE, Map.of());

    /**
     * Checks that no component is null and copies {@code attributes}.
     *
     * @param name the user name; never a secret
     * @param limits the user's limits
     * @param attributes attributes for access rules, copied and unmodifiable
     */
    public Principal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(limits, "limits");
        attributes = Map.copyOf(Objects.requireNonNull(attributes, "attributes"));
    }

    /**
     * A principal with the given name, no limits and no attributes.
     *
     * @param name the user's name
     * @return the principal
     */
    public static Principal of(String name) {
        return new Principal(name, Limits.NONE, Map.of());
    }

    /**
     * The principal of sessions on a listener that requires no authentication.
     *
     * @return the anonymous principal
     */
    public static Principal anonymous() {
        return ANONYMOUS;
    }

    /**
     * Whether this is the {@link #anonymous()} principal.
     *
     * @return whether this is the anonymous principal
     */
    @SuppressWarnings("ReferenceEquality") // the one anonymous instance: a look-alike principal is not it
    public boolean isAnonymous() {
        return this == ANONYMOUS;
    }
}

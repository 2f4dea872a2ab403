package dev.sallyport.core.internal.session;

import dev.sallyport.api.ConnectionPool;
import dev.sallyport.core.Resolver;
import dev.sallyport.core.internal.CompositeMetrics;
import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.internal.Transport;
import dev.sallyport.core.internal.net.OutboundDialer;
import dev.sallyport.core.internal.policy.AuthChain;
import dev.sallyport.core.internal.policy.RuleChain;
import dev.sallyport.core.internal.policy.UserLimits;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a session uses, handed over as one immutable value instead of the whole engine: the
 * sealed settings, the transport, and the services of the admission path in the order they run.
 * The rule chain is read through a supplier because the host may replace it while running.
 */
public final class Services {

    private final Settings settings;
    private final Transport transport;
    private final AuthChain auth;
    private final Resolver resolver;
    private final Supplier<RuleChain> rules;
    private final UserLimits limits;
    private final ConnectionPool pool;
    private final OutboundDialer dialer;
    private final CompositeMetrics metrics;
    private final LiveSessions sessions;

    public Services(Settings settings, Transport transport, AuthChain auth, Resolver resolver,
                    Supplier<RuleChain> rules, UserLimits limits, OutboundDialer dialer, CompositeMetrics metrics,
                    LiveSessions sessions) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.rules = Objects.requireNonNull(rules, "rules");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.pool = settings.connectionPool();
        this.dialer = Objects.requireNonNull(dialer, "dialer");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.sessions = Objects.requireNonNull(sessions, "sessions");
    }

    Settings settings() {
        return settings;
    }

    Transport transport() {
        return transport;
    }

    AuthChain auth() {
        return auth;
    }

    Resolver resolver() {
        return resolver;
    }

    /** The rule chain in force now. */
    RuleChain rules() {
        return rules.get();
    }

    UserLimits limits() {
        return limits;
    }

    ConnectionPool pool() {
        return pool;
    }

    OutboundDialer dialer() {
        return dialer;
    }

    CompositeMetrics metrics() {
        return metrics;
    }

    LiveSessions sessions() {
        return sessions;
    }
}

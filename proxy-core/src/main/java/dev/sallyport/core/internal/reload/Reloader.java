package dev.sallyport.core.internal.reload;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AccessRuleProvider;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.internal.Config;
import dev.sallyport.core.internal.Engine;
import dev.sallyport.core.internal.Providers;
import dev.sallyport.core.internal.Settings;
import dev.sallyport.core.internal.TlsContexts;
import dev.sallyport.core.internal.route.RouteTable;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@link ProxyManager#reload}: applies a new configuration to a running engine, for new sessions.
 *
 * <p>Everything that can fail (loading certificates and keys, building rules from providers)
 * happens before the first change, so a failure leaves the running configuration whole. Then
 * the pieces are swapped, each by one volatile write that a session reads once: the TLS contexts
 * (read when a connection is accepted), the default limits (read at admission), the rules (read
 * at admission), and last the users, whose removal or new password closes their sessions. A
 * session admitted during the swap may see new rules with old users, never half a rule list or
 * half a limit. Settings that take a restart are compared and reported, never applied.
 */
public final class Reloader {

    private static final Logger log = LoggerFactory.getLogger(ProxyManager.class);

    private Reloader() {
    }

    /** Applies {@code next} to {@code engine}; returns the changes that need a restart. */
    public static List<String> reload(Engine engine, Config next) {
        LiveConfig live = engine.live();
        synchronized (live.lock) {
            if (engine.isClosed()) {
                throw new IllegalStateException("closed: " + engine.name() + " (expected: a running manager to reload)");
            }
            Settings running = engine.settings();
            List<String> restart = restartNeeded(running, next, live);
            Map<String, SslContext> tls = new LinkedHashMap<>(live.tls());
            TlsContexts.of(next).forEach((listener, context) -> tls.computeIfPresent(listener, (k, old) -> context));
            List<AutoCloseable> created = new ArrayList<>();
            List<AccessRule> rules;
            RouteTable routes;
            try {
                routes = engine.services().routeTable(next.routing);
                rules = rules(next, created);
            } catch (RuntimeException | Error e) {
                Settings.closeQuietly(created);
                throw e;
            }
            live.tls(tls);
            engine.userLimits().defaults(next.defaultLimits);
            engine.replaceRules(rules);
            engine.services().routes(routes);
            live.adopt(created);
            ConfiguredUsers users = live.users();
            Object change = users == null ? "no in-memory users" : users.apply(next.initialUsers, next.hashedUsers);
            log.info("Reloaded: {} access rule(s), {} route rule(s), TLS of {}, {}", rules.size(),
                    next.routing.rules().size(), tls.keySet(), change);
            if (!restart.isEmpty()) {
                log.warn("Reload: {} changed but apply(ies) only after a restart: {}",
                        restart.size() == 1 ? "one setting" : restart.size() + " settings", restart);
            }
            return List.copyOf(restart);
        }
    }

    /** The host's rules in configured order, the named ones built anew (as at start). */
    private static List<AccessRule> rules(Config next, List<AutoCloseable> created) {
        List<AccessRule> rules = new ArrayList<>(next.accessRules);
        int placed = 0;
        for (Config.PlacedProvider named : next.accessRuleProviders) {
            rules.add(named.position() + placed++,
                    Providers.createOwned(AccessRuleProvider.class, named.provider(), next.classLoader, created));
        }
        return rules;
    }

    private static List<String> restartNeeded(Settings running, Config next, LiveConfig live) {
        List<String> restart = new ArrayList<>();
        if (!running.bind().equals(next.bind)) {
            restart.add("bind: " + running.bind().getHostAddress() + " -> " + next.bind.getHostAddress());
        }
        Set<String> listeners = new LinkedHashSet<>(running.ports().keySet());
        listeners.addAll(next.listeners.keySet());
        for (String listener : listeners) {
            Integer was = running.ports().get(listener);
            Integer now = next.listeners.get(listener);
            if (!Objects.equals(was, now)) {
                restart.add(listener + ": " + (was == null ? "added on port " + now
                        : now == null ? "removed (port " + was + ")" : "port " + was + " -> " + now));
            }
            boolean tlsWas = live.tls(listener) != null;
            if (was != null && now != null && tlsWas != next.tls.containsKey(listener)) {
                restart.add(listener + ": TLS " + (tlsWas ? "removed" : "added"));
            }
        }
        if (running.ioThreads() != next.ioThreads) {
            restart.add("io-threads: " + running.ioThreads() + " -> " + next.ioThreads);
        }
        boolean authentication = next.requireAuthentication || !next.authBackends.isEmpty()
                || !next.authProviders.isEmpty() || !next.initialUsers.isEmpty();
        if (authentication != running.authenticationRequired()) {
            restart.add("authentication: " + (running.authenticationRequired() ? "on -> off" : "off -> on"));
        } else if (!next.initialUsers.isEmpty() && live.users() == null) {
            restart.add("users: logins use " + (running.authBackends().isEmpty() ? "no" : "another") + " user store");
        }
        return restart;
    }
}

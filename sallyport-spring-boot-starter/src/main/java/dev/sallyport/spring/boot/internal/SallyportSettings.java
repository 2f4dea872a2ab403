package dev.sallyport.spring.boot.internal;

import dev.sallyport.api.InvalidSettingException;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.ProxyProperties;
import org.springframework.util.ClassUtils;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Applies {@link SallyportProperties} to a {@link ProxyManager.Builder}. The keys the standalone
 * server's config file shares (listeners, users, rules, limits, TLS, PROXY protocol) go through
 * {@link ProxyProperties}, so both check a value the same way; the rest go to the builder's own
 * setters. Either way a rejected value is reported as {@code sallyport.NAME: problem}, naming the
 * Spring property, never a password.
 */
final class SallyportSettings {

    private static final String PREFIX = "sallyport.";
    private static final String USER = "user.";
    /** Config-file key to Spring property (after {@code sallyport.}). */
    private static final Map<String, String> PROPERTY_OF = Map.ofEntries(
            Map.entry("bind", "bind"),
            Map.entry("socks5", "listeners.socks5"),
            Map.entry("http", "listeners.http"),
            Map.entry("mixed", "listeners.mixed"),
            Map.entry("allow-open-proxy", "allow-open-proxy"),
            Map.entry("allow-ports", "rules.allow-ports"),
            Map.entry("allow", "rules.allow"),
            Map.entry("deny", "rules.deny"),
            Map.entry("deny-private", "rules.deny-private"),
            Map.entry("bandwidth", "limits.bandwidth"),
            Map.entry("max-sessions-per-user", "limits.max-sessions-per-user"),
            Map.entry("max-clients-per-ip", "limits.max-clients-per-ip"),
            Map.entry("max-total-connections", "limits.max-total-connections"),
            Map.entry("max-bind-listeners", "limits.max-bind-listeners"),
            Map.entry("tls-cert", "tls.certificate"),
            Map.entry("tls-key", "tls.private-key"),
            Map.entry("proxy-protocol", "proxy-protocol.trusted"),
            Map.entry("proxy-protocol-mode", "proxy-protocol.mode"));

    private SallyportSettings() {
    }

    /**
     * Configures {@code builder} from {@code properties}.
     *
     * @throws InvalidSettingException naming the first bad property
     */
    static void apply(SallyportProperties properties, ProxyManager.Builder builder) {
        configure(properties, builder, problem -> {
            throw problem;
        });
    }

    /** Every problem {@link #apply} would meet, as messages; empty when the properties are good. */
    static List<String> problems(SallyportProperties properties) {
        List<String> problems = new ArrayList<>();
        configure(properties, ProxyManager.builder(), problem -> problems.add(problem.getMessage()));
        if (properties.getListeners().getSocks5() == null && properties.getListeners().getHttp() == null
                && properties.getListeners().getMixed() == null) {
            problems.add(PREFIX + "listeners: none (expected: at least one of sallyport.listeners.socks5, "
                    + "sallyport.listeners.http, sallyport.listeners.mixed; or sallyport.enabled=false)");
        }
        if (properties.getJdbc().isEnabled()
                && !ClassUtils.isPresent("dev.sallyport.auth.jdbc.JdbcStore", SallyportSettings.class.getClassLoader())) {
            problems.add(PREFIX + "jdbc.enabled: true (expected: dev.sallyport:proxy-auth-jdbc on the class path)");
        }
        return problems;
    }

    private static void configure(SallyportProperties p, ProxyManager.Builder builder,
                                  Consumer<InvalidSettingException> report) {
        try {
            ProxyProperties.apply(builder, fileKeys(p));
        } catch (InvalidSettingException e) {
            String setting = e.setting();
            String property = setting.startsWith(USER) ? "users." + setting.substring(USER.length())
                    : PROPERTY_OF.getOrDefault(setting, setting);
            report.accept(new InvalidSettingException(PREFIX + property, e.problem()));
        }
        Step step = new Step(report);
        step.run("require-authentication", () -> builder.requireAuthentication(p.isRequireAuthentication()));
        step.run("access-log", () -> builder.accessLog(p.isAccessLog()));
        step.value("io-threads", p.getIoThreads(), builder::ioThreads);
        step.value("transport", p.getTransport(), builder::transport);
        step.value("drain-timeout", p.getDrainTimeout(), builder::drainTimeout);
        SallyportProperties.Timeouts timeouts = p.getTimeouts();
        step.value("timeouts.handshake", timeouts.getHandshake(), builder::handshakeTimeout);
        step.value("timeouts.connect", timeouts.getConnect(), builder::connectTimeout);
        step.value("timeouts.idle", timeouts.getIdle(), builder::idleTimeout);
        step.value("timeouts.max-session", timeouts.getMaxSession(), builder::maxSessionDuration);
        SallyportProperties.Auth auth = p.getAuth();
        step.value("auth.cache-ttl", auth.getCacheTtl(), builder::authCacheTtl);
        step.value("auth.negative-cache-ttl", auth.getNegativeCacheTtl(), builder::authCacheNegativeTtl);
        step.value("auth.max-login-failures", auth.getMaxLoginFailures(), builder::maxLoginFailures);
        step.value("auth.lockout-duration", auth.getLockoutDuration(), builder::lockoutDuration);
        step.run("metrics.name", () -> {
            String name = p.getMetrics().getName();
            if (p.getMetrics().isEnabled() && (name == null || name.isBlank())) {
                throw new IllegalArgumentException("name: '" + name + "' (expected: a non-blank name for the proxy tag)");
            }
        });
    }

    /** The properties the config file shares, under its keys. */
    private static Properties fileKeys(SallyportProperties p) {
        Properties file = new Properties();
        put(file, "bind", p.getBind());
        put(file, "socks5", p.getListeners().getSocks5());
        put(file, "http", p.getListeners().getHttp());
        put(file, "mixed", p.getListeners().getMixed());
        p.getUsers().forEach((name, password) -> put(file, USER + name, password == null ? "" : password));
        put(file, "allow-open-proxy", p.isAllowOpenProxy());
        SallyportProperties.Rules rules = p.getRules();
        put(file, "allow-ports", rules.getAllowPorts());
        putList(file, "allow", rules.getAllow());
        putList(file, "deny", rules.getDeny());
        put(file, "deny-private", rules.isDenyPrivate());
        SallyportProperties.Limits limits = p.getLimits();
        put(file, "bandwidth", limits.getBandwidth());
        put(file, "max-sessions-per-user", limits.getMaxSessionsPerUser());
        put(file, "max-clients-per-ip", limits.getMaxClientsPerIp());
        put(file, "max-total-connections", limits.getMaxTotalConnections());
        put(file, "max-bind-listeners", limits.getMaxBindListeners());
        put(file, "tls-cert", p.getTls().getCertificate());
        put(file, "tls-key", p.getTls().getPrivateKey());
        putList(file, "proxy-protocol", p.getProxyProtocol().getTrusted());
        put(file, "proxy-protocol-mode", p.getProxyProtocol().getMode());
        return file;
    }

    private static void put(Properties file, String key, Object value) {
        if (value != null) {
            file.setProperty(key, value.toString());
        }
    }

    /** A list as the file's comma-separated value; an empty list is left out (unset). */
    private static void putList(Properties file, String key, List<String> values) {
        if (values != null && !values.isEmpty()) {
            file.setProperty(key, String.join(",", values));
        }
    }

    /** Runs one builder setter, reporting its rejection under the Spring property's name. */
    private record Step(Consumer<InvalidSettingException> report) {

        <T> void value(String property, T value, Consumer<T> setter) {
            if (value != null) {
                run(property, () -> setter.accept(value));
            }
        }

        void run(String property, Runnable setter) {
            try {
                setter.run();
            } catch (IllegalArgumentException | IllegalStateException e) {
                // The builder's message reads "setting: value (expected: ...)"; keep what follows the name.
                String message = String.valueOf(e.getMessage());
                int colon = message.indexOf(": ");
                report.accept(new InvalidSettingException(PREFIX + property,
                        colon >= 0 ? message.substring(colon + 2) : message));
            }
        }
    }
}

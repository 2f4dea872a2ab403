package dev.sallyport.server;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one line {@code serve} logs at start: every setting in effect, secrets masked (passwords,
 * the database URL's password, upstream logins), equal for equal configurations, so that two
 * instances' lines can be compared with {@code diff}.
 */
final class EffectiveConfiguration {

    private EffectiveConfiguration() {
    }

    static String of(ServeCommand s) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("bind", s.bind);
        settings.put("socks5", s.socks5 == null && s.http == null && s.mixed == null ? Integer.valueOf(1080) : s.socks5);
        settings.put("http", s.http);
        settings.put("mixed", s.mixed);
        settings.put("tls-cert", s.tlsCert);
        settings.put("users", s.secrets.describe(s.users));
        settings.put("allow-open-proxy", s.allowOpenProxy);
        settings.put("jdbc-url", s.jdbcUrl == null ? null : s.jdbcUrl.replaceAll("password=[^&]*", "password=***"));
        settings.put("jdbc-user", s.jdbcUser);
        settings.put("allow-ports", s.allowPorts);
        settings.put("allow", s.allow);
        settings.put("deny", s.deny);
        settings.put("deny-private", s.denyPrivate);
        settings.put("bandwidth", s.bandwidth);
        settings.put("max-sessions-per-user", s.maxSessionsPerUser);
        settings.put("max-clients-per-ip", s.maxClientsPerIp);
        settings.put("metrics", s.metrics);
        settings.put("log-level", s.logLevel == null ? "info" : s.logLevel.toLowerCase(Locale.ROOT));
        settings.put("access-log", s.accessLog);
        // Settings added since: shown when set, so that a line from before still reads the same.
        ServeCommand.putIfSet(settings, "max-total-connections", s.maxTotalConnections);
        ServeCommand.putIfSet(settings, "max-bind-listeners", s.maxBindListeners);
        ServeCommand.putIfSet(settings, "metrics-bind", s.metricsBind);
        ServeCommand.putIfSet(settings, "metrics-token-file", s.metricsTokenFile);
        ServeCommand.putIfSet(settings, "allow-insecure-config", s.allowInsecureConfig ? Boolean.TRUE : null);
        ServeCommand.putIfSet(settings, "instance", s.instance);
        ServeCommand.putIfSet(settings, "user-file", s.secrets.userFile);
        s.proxyProtocol.putInto(settings);
        s.transport.describe(settings);
        s.providers.describe(settings);
        s.database.describe(settings);
        s.forwardAuth.describe(settings);
        s.routing.describe(settings);
        StringBuilder line = new StringBuilder();
        settings.forEach((k, v) -> line.append(line.length() == 0 ? "" : " ").append(k).append('=').append(v == null ? "-" : v));
        return line.toString();
    }
}

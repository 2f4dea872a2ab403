package dev.sallyport.spring.boot.internal;

import dev.sallyport.core.IoTransport;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code sallyport.*} properties. Unset values leave the builder's defaults (see
 * {@code ProxyManager.Builder}). Validated at binding by applying them to a scratch builder
 * ({@link SallyportSettings}), so a bad value fails the context with a message naming the property.
 */
@ConfigurationProperties(prefix = "sallyport")
public class SallyportProperties implements Validator {

    /** Whether to start a Sallyport proxy with the application. */
    private boolean enabled = true;

    /** Address every listener binds: an IP literal, localhost, or 0.0.0.0 / :: for all interfaces. Default: loopback. */
    private String bind;

    /** Listener ports (0 for any free port); at least one must be set. */
    private final Listeners listeners = new Listeners();

    /** In-memory users: user name to password (sallyport.users.alice=...). Turns authentication on. */
    private Map<String, String> users = new LinkedHashMap<>();

    /** Require authentication even without users or auth backends. */
    private boolean requireAuthentication = false;

    /** Allow a non-loopback bind address without authentication (an open proxy). */
    private boolean allowOpenProxy = false;

    /** Write one line per session to the SLF4J logger sallyport.access. */
    private boolean accessLog = false;

    /** Number of I/O threads. Default: the number of available processors. */
    private Integer ioThreads;

    /** I/O transport: auto (default: io_uring, else epoll, else nio, the first that runs), io_uring, epoll or nio. */
    private IoTransport transport;

    /**
     * How long shutdown waits for open tunnels and requests to finish. Default:
     * spring.lifecycle.timeout-per-shutdown-phase when set, otherwise 30 s.
     */
    private Duration drainTimeout;

    /** Access rules by destination; AccessRule beans follow them. */
    private final Rules rules = new Rules();

    /** Default limits and connection caps. */
    private final Limits limits = new Limits();

    /** Timeouts. */
    private final Timeouts timeouts = new Timeouts();

    /** Login cache and brute-force protection. */
    private final Auth auth = new Auth();

    /** TLS on the http listener (an HTTPS proxy). */
    private final Tls tls = new Tls();

    /** PROXY protocol on every listener, for running behind L4 load balancers. */
    private final ProxyProtocol proxyProtocol = new ProxyProtocol();

    /** Users, access log and usage in PostgreSQL through the application's DataSource. */
    private final Jdbc jdbc = new Jdbc();

    /** Meters in the application's MeterRegistry. */
    private final Metrics metrics = new Metrics();

    @Override
    public boolean supports(Class<?> type) {
        return SallyportProperties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        if (enabled) {
            SallyportSettings.problems(this).forEach(problem -> errors.reject("sallyport", problem));
        }
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getBind() {
        return bind;
    }

    public void setBind(String bind) {
        this.bind = bind;
    }

    public Listeners getListeners() {
        return listeners;
    }

    public Map<String, String> getUsers() {
        return users;
    }

    public void setUsers(Map<String, String> users) {
        this.users = users;
    }

    public boolean isRequireAuthentication() {
        return requireAuthentication;
    }

    public void setRequireAuthentication(boolean requireAuthentication) {
        this.requireAuthentication = requireAuthentication;
    }

    public boolean isAllowOpenProxy() {
        return allowOpenProxy;
    }

    public void setAllowOpenProxy(boolean allowOpenProxy) {
        this.allowOpenProxy = allowOpenProxy;
    }

    public boolean isAccessLog() {
        return accessLog;
    }

    public void setAccessLog(boolean accessLog) {
        this.accessLog = accessLog;
    }

    public IoTransport getTransport() {
        return transport;
    }

    public void setTransport(IoTransport transport) {
        this.transport = transport;
    }

    public Integer getIoThreads() {
        return ioThreads;
    }

    public void setIoThreads(Integer ioThreads) {
        this.ioThreads = ioThreads;
    }

    public Duration getDrainTimeout() {
        return drainTimeout;
    }

    public void setDrainTimeout(Duration drainTimeout) {
        this.drainTimeout = drainTimeout;
    }

    public Rules getRules() {
        return rules;
    }

    public Limits getLimits() {
        return limits;
    }

    public Timeouts getTimeouts() {
        return timeouts;
    }

    public Auth getAuth() {
        return auth;
    }

    public Tls getTls() {
        return tls;
    }

    public ProxyProtocol getProxyProtocol() {
        return proxyProtocol;
    }

    public Jdbc getJdbc() {
        return jdbc;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    /** Listener ports. */
    public static class Listeners {
        /** SOCKS5 (and SOCKS4) listener port, 0 for any free port. */
        private Integer socks5;
        /** HTTP proxy listener port, 0 for any free port. */
        private Integer http;
        /** One port for SOCKS5, SOCKS4 and HTTP, told apart by the first byte; 0 for any free port. */
        private Integer mixed;

        public Integer getSocks5() {
            return socks5;
        }

        public void setSocks5(Integer socks5) {
            this.socks5 = socks5;
        }

        public Integer getHttp() {
            return http;
        }

        public void setHttp(Integer http) {
            this.http = http;
        }

        public Integer getMixed() {
            return mixed;
        }

        public void setMixed(Integer mixed) {
            this.mixed = mixed;
        }
    }

    /** Destination rules, appended in this order: allow-ports, allow, deny, deny-private. */
    public static class Rules {
        /** Only these target ports, e.g. 80,443,8000-8100. */
        private String allowPorts;
        /** Destinations (addresses or CIDRs) allowed even where deny or deny-private covers them. */
        private List<String> allow = new ArrayList<>();
        /** Destinations (addresses or CIDRs) denied. */
        private List<String> deny = new ArrayList<>();
        /** Deny private, loopback, link-local, CGNAT, unique-local, multicast and reserved destinations. */
        private boolean denyPrivate = false;

        public String getAllowPorts() {
            return allowPorts;
        }

        public void setAllowPorts(String allowPorts) {
            this.allowPorts = allowPorts;
        }

        public List<String> getAllow() {
            return allow;
        }

        public void setAllow(List<String> allow) {
            this.allow = allow;
        }

        public List<String> getDeny() {
            return deny;
        }

        public void setDeny(List<String> deny) {
            this.deny = deny;
        }

        public boolean isDenyPrivate() {
            return denyPrivate;
        }

        public void setDenyPrivate(boolean denyPrivate) {
            this.denyPrivate = denyPrivate;
        }
    }

    /** Default limits per user and connection caps. */
    public static class Limits {
        /** Default bandwidth per user, each way, in bytes per second: 1048576, 512K, 10M, 1G. */
        private String bandwidth;
        /** Default concurrent sessions per user (a user's own limit wins). */
        private Integer maxSessionsPerUser;
        /** Connections open at once from one client IP. Default: none on loopback, 256 beyond. */
        private Integer maxClientsPerIp;
        /** Client connections open at once, all listeners together. */
        private Integer maxTotalConnections;
        /** SOCKS BIND requests waiting at once per user. Default: none on loopback, 16 beyond. */
        private Integer maxBindListeners;

        public String getBandwidth() {
            return bandwidth;
        }

        public void setBandwidth(String bandwidth) {
            this.bandwidth = bandwidth;
        }

        public Integer getMaxSessionsPerUser() {
            return maxSessionsPerUser;
        }

        public void setMaxSessionsPerUser(Integer maxSessionsPerUser) {
            this.maxSessionsPerUser = maxSessionsPerUser;
        }

        public Integer getMaxClientsPerIp() {
            return maxClientsPerIp;
        }

        public void setMaxClientsPerIp(Integer maxClientsPerIp) {
            this.maxClientsPerIp = maxClientsPerIp;
        }

        public Integer getMaxTotalConnections() {
            return maxTotalConnections;
        }

        public void setMaxTotalConnections(Integer maxTotalConnections) {
            this.maxTotalConnections = maxTotalConnections;
        }

        public Integer getMaxBindListeners() {
            return maxBindListeners;
        }

        public void setMaxBindListeners(Integer maxBindListeners) {
            this.maxBindListeners = maxBindListeners;
        }
    }

    /** Timeouts; unset ones keep the builder's defaults. */
    public static class Timeouts {
        /** From connecting to a complete request. Default 10 s. */
        private Duration handshake;
        /** To resolve and connect to a target. Default 10 s. */
        private Duration connect;
        /** A tunnel idle this long is closed; 0 for none. Default 1 h. */
        private Duration idle;
        /** Tunnels are closed after this long, busy or not; 0 for none. Default none. */
        private Duration maxSession;

        public Duration getHandshake() {
            return handshake;
        }

        public void setHandshake(Duration handshake) {
            this.handshake = handshake;
        }

        public Duration getConnect() {
            return connect;
        }

        public void setConnect(Duration connect) {
            this.connect = connect;
        }

        public Duration getIdle() {
            return idle;
        }

        public void setIdle(Duration idle) {
            this.idle = idle;
        }

        public Duration getMaxSession() {
            return maxSession;
        }

        public void setMaxSession(Duration maxSession) {
            this.maxSession = maxSession;
        }
    }

    /** Login cache and brute-force protection; unset values keep the builder's defaults. */
    public static class Auth {
        /** How long a successful login is remembered; 0 for no cache. Default 5 min. */
        private Duration cacheTtl;
        /** How long refused credentials are remembered; 0 for no cache. Default 10 s. */
        private Duration negativeCacheTtl;
        /** Failed logins of one name from one client that lock it out; 0 turns the lockout off. Default 10. */
        private Integer maxLoginFailures;
        /** How long a lockout lasts. Default 5 min. */
        private Duration lockoutDuration;

        public Duration getCacheTtl() {
            return cacheTtl;
        }

        public void setCacheTtl(Duration cacheTtl) {
            this.cacheTtl = cacheTtl;
        }

        public Duration getNegativeCacheTtl() {
            return negativeCacheTtl;
        }

        public void setNegativeCacheTtl(Duration negativeCacheTtl) {
            this.negativeCacheTtl = negativeCacheTtl;
        }

        public Integer getMaxLoginFailures() {
            return maxLoginFailures;
        }

        public void setMaxLoginFailures(Integer maxLoginFailures) {
            this.maxLoginFailures = maxLoginFailures;
        }

        public Duration getLockoutDuration() {
            return lockoutDuration;
        }

        public void setLockoutDuration(Duration lockoutDuration) {
            this.lockoutDuration = lockoutDuration;
        }
    }

    /** TLS on the http listener: both files or neither. */
    public static class Tls {
        /** PEM certificate chain file. */
        private String certificate;
        /** PEM private key file (PKCS#8). */
        private String privateKey;

        public String getCertificate() {
            return certificate;
        }

        public void setCertificate(String certificate) {
            this.certificate = certificate;
        }

        public String getPrivateKey() {
            return privateKey;
        }

        public void setPrivateKey(String privateKey) {
            this.privateKey = privateKey;
        }
    }

    /** PROXY protocol v1/v2 on every listener. */
    public static class ProxyProtocol {
        /** Load balancers' addresses or CIDRs whose headers are believed; set to turn the PROXY protocol on. */
        private List<String> trusted = new ArrayList<>();
        /** required (the default) or optional: whether trusted sources must send a header. */
        private String mode;

        public List<String> getTrusted() {
            return trusted;
        }

        public void setTrusted(List<String> trusted) {
            this.trusted = trusted;
        }

        public String getMode() {
            return mode;
        }

        public void setMode(String mode) {
            this.mode = mode;
        }
    }

    /** PostgreSQL through the application's DataSource (proxy-auth-jdbc). */
    public static class Jdbc {
        /** Authenticate against, and keep users in, the application's DataSource. */
        private boolean enabled = false;
        /** Create or migrate the schema at start; false only checks that it is current. */
        private boolean migrate = true;
        /** Write the access log and hourly usage to the database. */
        private boolean accounting = true;
        /** Count per-user limits across every instance on the database. */
        private boolean fleetLimits = false;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean isMigrate() {
            return migrate;
        }

        public void setMigrate(boolean migrate) {
            this.migrate = migrate;
        }

        public boolean isAccounting() {
            return accounting;
        }

        public void setAccounting(boolean accounting) {
            this.accounting = accounting;
        }

        public boolean isFleetLimits() {
            return fleetLimits;
        }

        public void setFleetLimits(boolean fleetLimits) {
            this.fleetLimits = fleetLimits;
        }
    }

    /** Micrometer meters (proxy.*), when the application has a MeterRegistry. */
    public static class Metrics {
        /** Whether to publish meters to the application's MeterRegistry. */
        private boolean enabled = true;
        /** The value of the proxy tag on every meter. */
        private String name = "sallyport";

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }
    }
}

package dev.sallyport.server;

import ch.qos.logback.classic.Level;
import dev.sallyport.api.InvalidSettingException;
import dev.sallyport.auth.jdbc.JdbcStore;
import dev.sallyport.core.micrometer.MicrometerMetricsSink;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.ProxyProperties;
import dev.sallyport.core.Ticker;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.io.PrintWriter;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sallyport serve}: starts the listeners, prints one {@code listening PROTOCOL ADDR:PORT}
 * line per listener and then {@code ready} on stdout, and runs until SIGTERM or SIGINT, which
 * drain open tunnels and exit 0. Logs (and the access log) go to stderr.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Start the proxy. Without listener flags: SOCKS5 (which also answers SOCKS4/4a) on 127.0.0.1:1080.",
            "Every flag can also be set in a --config properties file; flags win over the file."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM/SIGINT after draining", "1:runtime failure (e.g. a port in use)",
            "2:usage error (the message names the flag)"})
final class ServeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A properties file with the same settings as the flags (bind=..., socks5=..., user.NAME=PASSWORD).")
    Path config;

    @Option(names = "--bind", paramLabel = "ADDR",
            description = "Address to listen on (default: 127.0.0.1). A non-loopback address needs --user, and denies "
                    + "this host's own addresses as targets (--allow makes exceptions) and caps connections (README: Security).")
    String bind = "127.0.0.1";

    @Option(names = "--socks5", paramLabel = "PORT", description = "SOCKS5 port (0 for any free port).")
    Integer socks5;

    @Option(names = "--http", paramLabel = "PORT", description = "HTTP proxy port (0 for any free port).")
    Integer http;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain: with --tls-key, the HTTP listener becomes an HTTPS proxy.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key (PKCS#8) for --tls-cert.")
    Path tlsKey;

    @Option(names = "--mixed", paramLabel = "PORT",
            description = "One port for every protocol: SOCKS5, SOCKS4 and HTTP told apart by the first byte.")
    Integer mixed;

    @Option(names = "--user", paramLabel = "NAME[:PASSWORD]", description = "A user (repeatable); without :PASSWORD, "
            + "the password comes from $SALLYPORT_USER_NAME or --user-file. Without any user, no authentication: loopback only.")
    List<String> users = new ArrayList<>();

    @CommandLine.Mixin
    SecretFlags secrets = new SecretFlags();

    @Option(names = "--allow-open-proxy", negatable = true,
            description = "Allow a non-loopback --bind without --user: anyone who reaches it may use the proxy.")
    boolean allowOpenProxy;

    @Option(names = "--allow-ports", paramLabel = "LIST",
            description = "Only these target ports, e.g. 80,443,8000-8100 (checked first).")
    String allowPorts;

    @Option(names = "--allow", paramLabel = "CIDR",
            description = "Allow these destinations even if --deny or --deny-private covers them (repeatable).")
    List<String> allow = new ArrayList<>();

    @Option(names = "--deny", paramLabel = "CIDR", description = "Deny these destinations (repeatable).")
    List<String> deny = new ArrayList<>();

    @Option(names = "--deny-private", negatable = true,
            description = "Deny private, loopback, link-local, CGNAT, unique-local, multicast and reserved destinations.")
    boolean denyPrivate;

    @Option(names = "--bandwidth", paramLabel = "BYTES_PER_SECOND",
            description = "Default bandwidth per user, each way, e.g. 1048576, 512K, 10M (shaped, never dropped).")
    String bandwidth;

    @Option(names = "--max-sessions-per-user", paramLabel = "N",
            description = "Default concurrent sessions per user (a user's own limit wins).")
    Integer maxSessionsPerUser;

    private boolean warnedMaxConnections;

    /**
     * The old name of --max-sessions-per-user, which read like --max-total-connections: still
     * accepted (scripts and config files keep working), with one WARN naming the new flag.
     */
    @Option(names = "--max-connections", paramLabel = "N", hidden = true)
    void maxConnections(int sessions) {
        if (!warnedMaxConnections) {
            warnedMaxConnections = true;
            log.warn("--max-connections is deprecated: it is the default number of concurrent sessions per user, "
                    + "not a cap on connections (that is --max-total-connections); use --max-sessions-per-user");
        }
        maxSessionsPerUser = sessions;
    }

    @Option(names = "--max-clients-per-ip", paramLabel = "N",
            description = "Connections open at once from one client IP (default: no cap on loopback, 256 beyond).")
    Integer maxClientsPerIp;

    @Option(names = "--max-total-connections", paramLabel = "N", description = "Client connections open at once, all "
            + "listeners together (default: no cap on loopback; beyond it, what the process's file limit allows).")
    Integer maxTotalConnections;

    @Option(names = "--max-bind-listeners", paramLabel = "N",
            description = "SOCKS BIND requests waiting at once per user (default: no cap on loopback, 16 beyond).")
    Integer maxBindListeners;

    @Option(names = "--jdbc-url", paramLabel = "URL", defaultValue = "${env:SALLYPORT_JDBC_URL}",
            description = "Keep users, the access log and usage in PostgreSQL (turns authentication on; "
                    + "default: $SALLYPORT_JDBC_URL).")
    String jdbcUrl;

    @Option(names = "--jdbc-user", paramLabel = "USER", description = "Database user (default: the URL's).")
    String jdbcUser;

    @Option(names = "--jdbc-password", paramLabel = "PASSWORD", defaultValue = "${env:SALLYPORT_JDBC_PASSWORD}",
            description = "Database password (default: $SALLYPORT_JDBC_PASSWORD).")
    String jdbcPassword;

    @Option(names = "--metrics", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://METRICS-BIND:PORT/metrics and /health (0 for any free port).")
    Integer metrics;

    @Option(names = "--metrics-bind", paramLabel = "ADDR",
            description = "Address of the --metrics port (default: 127.0.0.1, whatever --bind says).")
    String metricsBind;

    @Option(names = "--metrics-token-file", paramLabel = "FILE",
            description = "A file holding a token that /metrics then requires as 'Authorization: Bearer TOKEN' (/health stays open).")
    Path metricsTokenFile;

    @Option(names = "--allow-insecure-config",
            description = "Accept a --config file holding passwords, or a --metrics-token-file, that others may read or write.")
    boolean allowInsecureConfig;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "error, warn, info (default), debug or trace.")
    String logLevel;

    @Option(names = "--access-log", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Log one line per session on the logger sallyport.access (default: on; --no-access-log turns it off).")
    boolean accessLog = true;

    @CommandLine.Mixin
    ProxyProtocolFlags proxyProtocol = new ProxyProtocolFlags();

    @CommandLine.Mixin
    TransportFlags transport = new TransportFlags();

    @CommandLine.Mixin
    ProviderFlags providers = new ProviderFlags();

    @CommandLine.Mixin
    RetentionFlags retention = new RetentionFlags();

    @CommandLine.Mixin
    SpoolFlags spool = new SpoolFlags();

    @CommandLine.Mixin
    DatabaseFlags database = new DatabaseFlags();

    @CommandLine.Mixin
    ForwardAuthFlags forwardAuth = new ForwardAuthFlags();

    @CommandLine.Mixin
    RouteFlags routing = new RouteFlags();

    @Option(names = "--instance", paramLabel = "NAME", description = "This instance's name in the logs and, as the "
            + "label sallyport_instance, on every metric (default: the host name).")
    String instance;

    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean serving;
    private volatile boolean draining;
    /** The metrics port once bound: the proxy denies it as a target. */
    private InetSocketAddress metricsBound;
    private byte[] metricsToken;

    @Override
    public Integer call() throws Exception {
        applyLogLevel();
        preflight();
        String instanceName = Monitoring.instance(instance);
        log.info("Starting instance {}", instanceName);
        PrometheusMeterRegistry registry = metrics == null ? null : Monitoring.registry(instanceName);
        Health health = new Health(Ticker.system(), () -> serving, () -> draining);
        // Bound before the proxy, which then denies the metrics port as a target like its listeners.
        InetAddress metricsAddress = address(metricsBind == null ? "127.0.0.1" : metricsBind);
        SessionsEndpoint sessions = new SessionsEndpoint(metricsToken, metricsAddress.isLoopbackAddress());
        ForwardAuthEndpoint auth = forwardAuth.endpoint();
        MetricsServer metricsServer = registry == null ? null : MetricsServer.start(
                new InetSocketAddress(metricsAddress, metrics),
                registry, health, metricsToken, MetricsServer.REQUEST_TIMEOUT, sessions, auth);
        metricsBound = metricsServer == null ? null : metricsServer.address();
        JdbcStore store = null;
        ProxyManager proxy;
        try {
            store = openStore();
            proxy = start(registry, store);
            ForwardAuthFlags.attach(auth, proxy);
        } catch (RuntimeException e) {
            closeAll(store, metricsServer);
            throw e;
        }
        if (registry != null) {
            Monitoring.registerGauges(registry, proxy, store, () -> draining);
        }
        sessions.attach(proxy);
        health.watch(proxy::ping, store == null ? null : store::ping);
        serving = true;
        JdbcStore openStore = store;
        MetricsServer server = metricsServer;
        Runnable stop = () -> {
            draining = true;
            proxy.close();
            // After the proxy: the last sessions' records are flushed, or spooled.
            spool.closing(() -> closeAll(openStore, server));
            stopped.countDown();
        };
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> new Thread(stop, "sallyport-shutdown").start());
        }
        ServeReload.onSighup(this, proxy, store);
        // Only now: a supervisor's SIGHUP or SIGTERM right after "ready" must find its handler, not
        // the JVM's default (SIGHUP would end the process).
        PrintWriter out = spec.commandLine().getOut();
        for (Map.Entry<String, InetSocketAddress> listener : proxy.addresses().entrySet()) {
            out.println("listening " + listener.getKey() + " " + format(listener.getValue()));
        }
        if (metricsServer != null) {
            out.println("listening metrics " + format(metricsServer.address()));
        }
        if (!draining) {
            out.println("ready");
        }
        out.flush();
        stopped.await();
        return spool.exitCode();
    }

    /**
     * What is checked before anything listens: the metrics flags, and that files holding secrets
     * (a --config file with passwords or provider settings, the metrics token file) are their owner's alone, unless
     * --allow-insecure-config (POSIX permissions; where there are none, nothing to check).
     */
    void preflight() {
        if (metrics == null && (metricsBind != null || metricsTokenFile != null)) {
            throw usage((metricsBind != null ? "--metrics-bind" : "--metrics-token-file") + ": needs --metrics PORT");
        }
        if (metrics != null && (metrics < 0 || metrics > 65535)) {
            throw usage("--metrics: " + metrics + " is not a port (expected: 0-65535, 0 for any free port)");
        }
        if (metricsBind != null && address(metricsBind) == null) {
            throw usage("--metrics-bind: '" + metricsBind + "' (expected: an IP address such as 127.0.0.1, ::1 or 0.0.0.0, "
                    + "or localhost)");
        }
        forwardAuth.preflight(spec.commandLine(), metrics, address(metricsBind == null ? "127.0.0.1" : metricsBind));
        String secrets = config == null ? null : ConfigFile.secrets(config);
        if (secrets != null) {
            requirePrivate("--config", config, secrets);
        }
        if (instance != null && !Monitoring.validInstance(instance)) {
            throw usage("--instance: '" + instance + "' (expected: " + Monitoring.INSTANCE_RULE + ")");
        }
        if (metricsTokenFile != null) {
            requirePrivate("--metrics-token-file", metricsTokenFile, "holds the metrics token");
            try {
                metricsToken = Monitoring.token(metricsTokenFile);
            } catch (IllegalArgumentException e) {
                throw usage("--metrics-token-file: " + e.getMessage());
            }
        }
    }

    private void requirePrivate(String flag, Path file, String why) {
        String exposed = ConfigFile.exposure(file);
        if (exposed != null && !allowInsecureConfig) {
            throw usage(flag + ": " + file + " " + why + " and is " + exposed + " (expected: chmod 600 " + file
                    + ", or --allow-insecure-config)");
        }
    }

    private void applyLogLevel() {
        if (logLevel == null) {
            return;
        }
        String level = logLevel.toLowerCase(Locale.ROOT);
        if (!List.of("error", "warn", "info", "debug", "trace").contains(level)) {
            throw usage("--log-level: '" + logLevel + "' (expected: error, warn, info, debug or trace)");
        }
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(Level.toLevel(level));
        }
    }

    /** The settings in effect, one line, secrets masked; equal for equal configurations. */
    String effectiveConfiguration() {
        return EffectiveConfiguration.of(this);
    }

    /** Opens (and migrates, unless --no-migrate) the PostgreSQL store when --jdbc-url is given. */
    private JdbcStore openStore() {
        if (jdbcUrl == null) {
            if (jdbcUser != null) {
                throw usage("--jdbc-user: needs --jdbc-url");
            }
            return null;
        }
        Map<String, String> more = retention.settings(spec.commandLine());
        spool.apply(more, config, this::usage);
        return database.open(jdbcUrl, jdbcUser, jdbcPassword, more, this::usage);
    }

    /** Validates the flags and starts the proxy; usage errors name the flag. */
    ProxyManager start(PrometheusMeterRegistry registry, JdbcStore store) {
        ProxyManager.Builder builder = configure(store);
        Duration warmUp = transport.warmUp(this::usage);
        log.info("Effective configuration: {}", effectiveConfiguration());
        if (!warmUp.isZero()) {
            WarmUp.run(warmUp, transport.transport);
        }
        if (registry != null) {
            builder.metrics(new MicrometerMetricsSink(registry, "sallyport"));
        }
        return builder.start();
    }

    /** The flags as a builder, checked (at start, and again by each reload); usage errors name the flag. */
    ProxyManager.Builder configure(JdbcStore store) {
        List<SecretFlags.ServeUser> resolved = secrets.resolve(users, allowInsecureConfig, System::getenv, System.in,
                this::usage);
        if (socks5 == null && http == null && mixed == null) {
            socks5 = 1080;
        }
        if (tlsCert != null && tlsKey != null && http == null) {
            throw usage("--tls-cert: needs --http PORT (TLS applies to the HTTP listener)");
        }
        ProxyManager.Builder builder = ProxyManager.builder();
        try {
            ProxyProperties.apply(builder, proxyProperties());
        } catch (InvalidSettingException e) {
            // Every key passed here is a flag's name.
            throw usage("--" + e.setting() + ": " + e.problem());
        }
        if (store != null && !resolved.isEmpty()) {
            throw usage("--user: cannot be combined with --jdbc-url (expected: manage users with 'sallyport users add')");
        }
        if (store != null) {
            // Users in PostgreSQL: their limits count across every instance on that database.
            builder.auth(store).metrics(store.accounting()).sharedLimits(store.fleetLimits());
        }
        providers.apply(builder, !resolved.isEmpty(), this::usage);
        database.apply(builder, store != null, this::usage);
        boolean behindBalancer = proxyProtocol.trusted != null;
        if (resolved.isEmpty() && !allowOpenProxy && store == null && !providers.authenticates()
                && (behindBalancer || !isLoopback(bind))) {
            throw usage((behindBalancer ? "--proxy-protocol: the clients that PROXY headers name are remote"
                    : "--bind: " + bind + " is not a loopback address") + ", so without --user anyone who reaches it "
                    + "could use this proxy (expected: add --user NAME:PASSWORD, or --allow-open-proxy to run an open proxy on purpose)");
        }
        if (metricsBound != null) {
            builder.protectedAddress(metricsBound);
        }
        SecretFlags.apply(builder, resolved, this::usage);
        routing.apply(builder, this::usage);
        return builder.accessLog(accessLog);
    }

    /**
     * The flags that configure the proxy itself, as the {@link ProxyProperties} keys of the same
     * names, which check and apply them (rules in their fixed order: ports, allow, deny, private).
     * Users are {@link SecretFlags}' (passwords off the command line).
     */
    private Properties proxyProperties() {
        Properties properties = new Properties();
        properties.setProperty("bind", bind);
        putIfSet(properties, "socks5", socks5);
        putIfSet(properties, "http", http);
        putIfSet(properties, "mixed", mixed);
        putIfSet(properties, "tls-cert", tlsCert);
        putIfSet(properties, "tls-key", tlsKey);
        properties.setProperty("allow-open-proxy", Boolean.toString(allowOpenProxy));
        putIfSet(properties, "allow-ports", allowPorts);
        properties.setProperty("allow", cidrList("--allow", allow));
        properties.setProperty("deny", cidrList("--deny", deny));
        properties.setProperty("deny-private", Boolean.toString(denyPrivate));
        putIfSet(properties, "bandwidth", bandwidth);
        putIfSet(properties, "max-sessions-per-user", maxSessionsPerUser);
        putIfSet(properties, "max-clients-per-ip", maxClientsPerIp);
        putIfSet(properties, "max-total-connections", maxTotalConnections);
        putIfSet(properties, "max-bind-listeners", maxBindListeners);
        proxyProtocol.putInto(properties);
        transport.putInto(properties);
        return properties;
    }

    static void putIfSet(Map<? super String, ? super String> properties, String key, Object value) {
        if (value != null) {
            properties.put(key, value.toString());
        }
    }

    /** The repeated flag's values as the key's comma-separated list; each flag names one range. */
    private String cidrList(String flag, List<String> cidrs) {
        for (String cidr : cidrs) {
            if (cidr.contains(",")) {
                throw usage(flag + ": " + cidr + " (expected: one address or CIDR per " + flag + ")");
            }
        }
        return String.join(",", cidrs);
    }

    static boolean isLoopback(String address) {
        InetAddress parsed = address(address);
        return parsed != null && parsed.isLoopbackAddress();
    }

    /** An IP literal (IPv6 with or without brackets) or {@code localhost}, never looked up; else null. */
    static InetAddress address(String text) {
        String literal = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        return "localhost".equalsIgnoreCase(literal) ? InetAddress.getLoopbackAddress()
                : NetUtil.createInetAddressFromIpAddressString(literal);
    }

    private static void closeAll(JdbcStore store, MetricsServer metricsServer) {
        if (store != null) {
            store.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static String format(InetSocketAddress address) {
        String host = NetUtil.toAddressString(address.getAddress());
        return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}

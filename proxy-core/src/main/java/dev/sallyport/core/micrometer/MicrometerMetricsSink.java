package dev.sallyport.core.micrometer;

import dev.sallyport.api.Command;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes Sallyport's meters to a Micrometer registry. Needs {@code io.micrometer:micrometer-core}
 * on the class path (an optional dependency of proxy-core).
 *
 * <pre>{@code
 * ProxyManager.builder().socks5(1080).metrics(new MicrometerMetricsSink(registry)).start();
 * }</pre>
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><td>{@code proxy.connections.accepted}</td><td>counter</td><td>protocol, proxy</td></tr>
 *   <tr><td>{@code proxy.connections.active}</td><td>gauge</td><td>protocol, proxy</td></tr>
 *   <tr><td>{@code proxy.sessions}</td><td>counter</td><td>protocol, command, outcome, proxy</td></tr>
 *   <tr><td>{@code proxy.bytes}</td><td>counter, bytes</td><td>protocol, direction (up, down), proxy</td></tr>
 *   <tr><td>{@code proxy.auth.failures}</td><td>counter</td><td>protocol, reason, proxy</td></tr>
 *   <tr><td>{@code proxy.rejections}</td><td>counter</td><td>reason, proxy</td></tr>
 *   <tr><td>{@code proxy.forward.auth}</td><td>counter</td><td>outcome, proxy</td></tr>
 *   <tr><td>{@code proxy.handshake.duration}</td><td>timer, percentile histogram</td><td>protocol, proxy</td></tr>
 *   <tr><td>{@code proxy.connect.duration}</td><td>timer, percentile histogram</td><td>protocol, proxy</td></tr>
 *   <tr><td>{@code proxy.upstream.connects}</td><td>counter</td><td>upstream, outcome, proxy</td></tr>
 *   <tr><td>{@code proxy.upstream.connect.duration}</td><td>timer</td><td>upstream, proxy</td></tr>
 *   <tr><td>{@code proxy.upstream.active}</td><td>gauge</td><td>upstream, proxy</td></tr>
 *   <tr><td>{@code proxy.upstream.up}</td><td>gauge, 1 up or 0 down</td><td>upstream, proxy</td></tr>
 * </table>
 *
 * <p>Every meter also carries the tag {@code proxy}: the sink's name, so that the sinks of several
 * managers can share one registry (give each its own name; by default each sink gets a name of its
 * own, {@code sallyport-1}, {@code sallyport-2}, ... in the order they are created).
 *
 * <p>Tags are bounded: protocols, commands and outcomes are enums, and free-text reasons beyond
 * the first 32 distinct values are counted as {@code other}. No user name or address is a tag.
 * Bytes are added once per session when it closes, never per read.
 *
 * <p>Thread-safe; every meter is created once and reused, so an event costs an array lookup and
 * an atomic add.
 */
// Meters sit in arrays indexed by the enums' ordinals: no map lookup per event on the I/O threads.
@SuppressWarnings("EnumOrdinal")
public final class MicrometerMetricsSink implements MetricsSink {

    private static final int MAX_REASONS = 32;
    private static final String OTHER = "other";
    private static final String PROXY = "proxy";
    private static final AtomicLong UNNAMED = new AtomicLong();

    private final MeterRegistry registry;
    private final String name;
    private final Protocol[] protocols = Protocol.values();
    private final Counter[] accepted = new Counter[protocols.length];
    private final AtomicLong[] active = new AtomicLong[protocols.length];
    private final Counter[] bytesUp = new Counter[protocols.length];
    private final Counter[] bytesDown = new Counter[protocols.length];
    private final Timer[] handshake = new Timer[protocols.length];
    private final Timer[] connect = new Timer[protocols.length];
    /** [protocol][command + 1 for "none"][outcome], created on first use. */
    private final Counter[][][] sessions;
    private final Map<String, Counter> authFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejections = new ConcurrentHashMap<>();
    private final Map<String, Counter> forwardAuth = new ConcurrentHashMap<>();
    /** Per upstream ({@code GROUP/HOST:PORT}, configured ones only): its meters, created on its first event. */
    private final Map<String, UpstreamMeters> upstreams = new ConcurrentHashMap<>();

    /** The meters of one upstream; connects by outcome created on first use. */
    private final class UpstreamMeters {
        final String upstream;
        final AtomicLong active = new AtomicLong();
        final AtomicLong up = new AtomicLong(1);
        final Timer duration;
        final Counter[] connects = new Counter[Outcome.values().length];

        UpstreamMeters(String upstream) {
            this.upstream = upstream;
            Gauge.builder("proxy.upstream.active", active, AtomicLong::get).description("Connections open through an upstream")
                    .tag("upstream", upstream).tag(PROXY, name).register(registry);
            Gauge.builder("proxy.upstream.up", up, AtomicLong::get).description("1 when an upstream is up, 0 when down")
                    .tag("upstream", upstream).tag(PROXY, name).register(registry);
            duration = Timer.builder("proxy.upstream.connect.duration").description("Connects through an upstream")
                    .tag("upstream", upstream).tag(PROXY, name).register(registry);
        }

        Counter connects(Outcome outcome) {
            Counter counter = connects[outcome.ordinal()];
            if (counter == null) {
                counter = Counter.builder("proxy.upstream.connects").description("Connects through an upstream")
                        .tag("upstream", upstream).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                        .tag(PROXY, name).register(registry);
                connects[outcome.ordinal()] = counter;
            }
            return counter;
        }
    }

    /**
     * Registers the meters in {@code registry}, tagged {@code proxy=sallyport-N} with a number no
     * other sink of this process has.
     *
     * @param registry the registry to register the meters in
     */
    public MicrometerMetricsSink(MeterRegistry registry) {
        this(registry, "sallyport-" + UNNAMED.incrementAndGet());
    }

    /**
     * Registers the meters in {@code registry}, tagged {@code proxy=name}. Sinks that share a
     * registry need different names: meters with the same name and tags are one meter.
     *
     * @param registry the registry to register the meters in
     * @param name     the value of the {@code proxy} tag
     * @throws IllegalArgumentException when {@code name} is empty or blank
     */
    public MicrometerMetricsSink(MeterRegistry registry, String name) {
        this.registry = Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: a non-blank name for the proxy tag)");
        }
        this.name = name;
        sessions = new Counter[protocols.length][Command.values().length + 1][Outcome.values().length];
        for (Protocol protocol : protocols) {
            int i = protocol.ordinal();
            String id = protocol.id();
            accepted[i] = Counter.builder("proxy.connections.accepted").description("Client connections accepted")
                    .tag("protocol", id).tag(PROXY, name).register(registry);
            active[i] = new AtomicLong();
            Gauge.builder("proxy.connections.active", active[i], AtomicLong::get)
                    .description("Client connections open now").tag("protocol", id).tag(PROXY, name).register(registry);
            bytesUp[i] = Counter.builder("proxy.bytes").baseUnit("bytes").description("Bytes relayed")
                    .tag("protocol", id).tag("direction", "up").tag(PROXY, name).register(registry);
            bytesDown[i] = Counter.builder("proxy.bytes").baseUnit("bytes").description("Bytes relayed")
                    .tag("protocol", id).tag("direction", "down").tag(PROXY, name).register(registry);
            handshake[i] = Timer.builder("proxy.handshake.duration").description("From accept to a complete request")
                    .tag("protocol", id).tag(PROXY, name).publishPercentileHistogram().register(registry);
            connect[i] = Timer.builder("proxy.connect.duration").description("Resolving and connecting to targets")
                    .tag("protocol", id).tag(PROXY, name).publishPercentileHistogram().register(registry);
        }
    }

    @Override
    public void connectionOpened(Protocol protocol) {
        accepted[protocol.ordinal()].increment();
        active[protocol.ordinal()].incrementAndGet();
    }

    @Override
    public void connectionClosed(Protocol protocol) {
        active[protocol.ordinal()].decrementAndGet();
    }

    @Override
    public void handshakeCompleted(Protocol protocol, Duration duration) {
        handshake[protocol.ordinal()].record(duration);
    }

    @Override
    public void connected(Protocol protocol, Duration duration) {
        connect[protocol.ordinal()].record(duration);
    }

    @Override
    public void authFailed(Protocol protocol, String reason) {
        String bounded = bounded(authFailures, protocol.id() + '\0' + reason);
        authFailures.computeIfAbsent(bounded, key -> Counter.builder("proxy.auth.failures")
                .description("Failed logins").tag("protocol", protocol.id())
                .tag("reason", key.substring(key.indexOf('\0') + 1)).tag(PROXY, name).register(registry)).increment();
    }

    @Override
    public void rejected(Protocol protocol, String reason) {
        String bounded = bounded(rejections, reason == null ? OTHER : reason);
        rejections.computeIfAbsent(bounded, key -> Counter.builder("proxy.rejections")
                .description("Requests refused by a rule or a limit").tag("reason", key).tag(PROXY, name)
                .register(registry)).increment();
    }

    @Override
    public void forwardAuth(String outcome) {
        String bounded = bounded(forwardAuth, outcome == null ? OTHER : outcome);
        forwardAuth.computeIfAbsent(bounded, key -> Counter.builder("proxy.forward.auth")
                .description("Forward-auth requests answered").tag("outcome", key).tag(PROXY, name)
                .register(registry)).increment();
    }

    @Override
    public void sessionClosed(SessionSummary summary) {
        int p = summary.protocol().ordinal();
        int c = summary.command() == null ? 0 : summary.command().ordinal() + 1;
        int o = summary.outcome().ordinal();
        Counter counter = sessions[p][c][o];
        if (counter == null) {
            counter = Counter.builder("proxy.sessions").description("Sessions ended")
                    .tag("protocol", summary.protocol().id())
                    .tag("command", summary.command() == null ? "none" : summary.command().name().toLowerCase(Locale.ROOT))
                    .tag("outcome", summary.outcome().name().toLowerCase(Locale.ROOT))
                    .tag(PROXY, name)
                    .register(registry);
            sessions[p][c][o] = counter;
        }
        counter.increment();
        if (summary.bytesUp() > 0) {
            bytesUp[p].increment((double) summary.bytesUp());
        }
        if (summary.bytesDown() > 0) {
            bytesDown[p].increment((double) summary.bytesDown());
        }
    }

    @Override
    public void upstreamConnect(String upstream, Outcome outcome, Duration duration) {
        UpstreamMeters meters = upstreams.computeIfAbsent(upstream, UpstreamMeters::new);
        meters.connects(outcome).increment();
        meters.duration.record(duration);
    }

    @Override
    public void upstreamState(String upstream, boolean up) {
        upstreams.computeIfAbsent(upstream, UpstreamMeters::new).up.set(up ? 1 : 0);
    }

    @Override
    public void upstreamActive(String upstream, int active) {
        upstreams.computeIfAbsent(upstream, UpstreamMeters::new).active.set(active);
    }

    private static String bounded(Map<String, Counter> seen, String key) {
        if (seen.containsKey(key) || seen.size() < MAX_REASONS) {
            return key;
        }
        int separator = key.indexOf('\0');
        return separator >= 0 ? key.substring(0, separator + 1) + OTHER : OTHER;
    }

    @Override
    public String toString() {
        return "MicrometerMetricsSink[" + name + ", " + registry.getClass().getSimpleName() + "]";
    }
}

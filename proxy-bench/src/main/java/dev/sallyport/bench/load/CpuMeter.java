package dev.sallyport.bench.load;

/** CPU used between two points by the proxy's process tree and by this JVM. */
final class CpuMeter {

    private final ProcStat proxy;
    private final long proxyStart;
    private final long selfStart;
    private final long wallStart;
    private long proxyNanos = -1;
    private long selfNanos;
    private long wallNanos;

    private CpuMeter(ProcStat proxy) {
        this.proxy = proxy;
        this.proxyStart = proxy == null ? 0 : proxy.cpuNanos();
        this.selfStart = ProcStat.selfCpuNanos();
        this.wallStart = System.nanoTime();
    }

    /** Starts measuring now; {@code proxy} may be null (direct). */
    static CpuMeter start(ProcStat proxy) {
        return new CpuMeter(proxy);
    }

    /** Stops measuring; idempotent. */
    CpuMeter stop() {
        if (proxyNanos < 0) {
            wallNanos = System.nanoTime() - wallStart;
            selfNanos = ProcStat.selfCpuNanos() - selfStart;
            proxyNanos = proxy == null ? 0 : proxy.cpuNanos() - proxyStart;
        }
        return this;
    }

    long wallNanos() {
        return wallNanos;
    }

    /** The proxy's CPU time, or -1 when there is no proxy process to read. */
    long proxyNanos() {
        return proxy == null ? -1 : proxyNanos;
    }

    long selfNanos() {
        return selfNanos;
    }

    /** Adds {@code wall_s}, {@code client_cpu_s} and, with a proxy process, {@code proxy_cpu_s}. */
    void addTo(Result result) {
        result.put("wall_s", wallNanos / 1e9);
        result.put("client_cpu_s", selfNanos / 1e9);
        if (proxy != null) {
            result.put("proxy_cpu_s", proxyNanos / 1e9);
        }
    }
}

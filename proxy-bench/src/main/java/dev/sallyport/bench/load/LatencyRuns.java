package dev.sallyport.bench.load;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The latency modes, one blocking thread each:
 * <ul>
 *   <li>ping-pong: one tunnel, a message of S bytes to the echo port and back, again and again;</li>
 *   <li>time to first byte: a fresh tunnel every time, from the start of the TCP connect to the
 *       proxy until the echo of one byte sent as soon as the proxy reports the tunnel up, one
 *       tunnel at a time.</li>
 * </ul>
 * Both record nanoseconds in an HdrHistogram (3 significant digits) and report microseconds;
 * both are bounded by a count and a duration, after a warm-up bounded the same way.
 */
final class LatencyRuns {

    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(10);

    private LatencyRuns() {
    }

    static Result pingPong(Target target, InetSocketAddress echo, int size, long warmupCount, long count,
                           Duration duration, ProcStat proxy) throws IOException {
        byte[] message = new byte[size];
        Arrays.fill(message, (byte) 'p');
        byte[] answer = new byte[size];
        Histogram histogram = new Histogram(HIGHEST_NANOS, 3);
        try (BlockingTunnel tunnel = BlockingTunnel.open(target, echo)) {
            long warmupEnd = System.nanoTime() + Math.max(duration.toNanos() / 4, 1);
            for (long i = 0; i < warmupCount && System.nanoTime() < warmupEnd; i++) {
                tunnel.write(message);
                tunnel.readFully(answer);
            }
            CpuMeter cpu = CpuMeter.start(proxy);
            long end = System.nanoTime() + duration.toNanos();
            for (long i = 0; i < count; i++) {
                long start = System.nanoTime();
                if (start >= end) {
                    break;
                }
                tunnel.write(message);
                tunnel.readFully(answer);
                histogram.recordValue(System.nanoTime() - start);
            }
            cpu.stop();
            if (!Arrays.equals(message, answer)) {
                throw new IOException("ping-pong: the echo differs from the message");
            }
            Result result = percentiles(new Result("pingpong").put("size", size), histogram);
            cpu.addTo(result);
            return result;
        }
    }

    static Result timeToFirstByte(Target target, InetSocketAddress echo, long warmupCount, long count,
                                  Duration duration, ProcStat proxy) throws IOException {
        byte[] one = {'t'};
        byte[] answer = new byte[1];
        Histogram histogram = new Histogram(HIGHEST_NANOS, 3);
        long warmupEnd = System.nanoTime() + Math.max(duration.toNanos() / 4, 1);
        for (long i = 0; i < warmupCount && System.nanoTime() < warmupEnd; i++) {
            try (BlockingTunnel tunnel = BlockingTunnel.open(target, echo)) {
                tunnel.write(one);
                tunnel.readFully(answer);
            }
        }
        CpuMeter cpu = CpuMeter.start(proxy);
        long end = System.nanoTime() + duration.toNanos();
        for (long i = 0; i < count; i++) {
            long start = System.nanoTime();
            if (start >= end) {
                break;
            }
            try (BlockingTunnel tunnel = BlockingTunnel.open(target, echo)) {
                tunnel.write(one);
                tunnel.readFully(answer);
                histogram.recordValue(System.nanoTime() - start);
            }
        }
        cpu.stop();
        Result result = percentiles(new Result("ttfb"), histogram);
        cpu.addTo(result);
        return result;
    }

    private static Result percentiles(Result result, Histogram histogram) {
        return result.put("count", histogram.getTotalCount())
                .put("p50_us", histogram.getValueAtPercentile(50) / 1e3)
                .put("p90_us", histogram.getValueAtPercentile(90) / 1e3)
                .put("p99_us", histogram.getValueAtPercentile(99) / 1e3)
                .put("p999_us", histogram.getValueAtPercentile(99.9) / 1e3)
                .put("max_us", histogram.getMaxValue() / 1e3)
                .put("mean_us", histogram.getMean() / 1e3);
    }
}

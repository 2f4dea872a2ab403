package dev.sallyport.bench.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps every JMH benchmark compiling and running: one fork, no warm-up, one 100 ms iteration,
 * one parameter combination each. The figures mean nothing; full runs are in the Javadoc of
 * each benchmark and behind {@code -Pbench}.
 */
@Timeout(120)
class JmhSmokeTest {

    @Test
    void everyBenchmarkRunsOnce() throws Exception {
        Options options = new OptionsBuilder()
                .include(Socks5HandshakeBenchmark.class.getName())
                .include(RelayBenchmark.class.getName())
                .include(SessionSetupBenchmark.class.getName())
                .include(AuthCacheBenchmark.class.getName())
                .include(HttpRequestBenchmark.class.getName())
                // One combination each: the one that exercises the most code.
                .param("auth", "password")
                .param("via", "sallyport")
                .param("path", "socks5-auth")
                .param("tunnels", "8")
                .param("mib", "8")
                .param("batch", "100")
                .forks(1)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .jvmArgsAppend("-Dio.netty.leakDetection.level=disabled", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Xms256m", "-Xmx256m")
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        // A smoke run measures nothing, so another JMH run on the machine (a benchmark in progress)
        // must not make it fail: JMH's lock only protects measurements from each other.
        System.setProperty("jmh.ignoreLock", "true");
        Collection<RunResult> results = new Runner(options).run();
        assertThat(results).hasSize(5);
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
        assertThat(results).flatMap(r -> r.getSecondaryResults().keySet()).contains("mebibytes", "sessions");
    }
}

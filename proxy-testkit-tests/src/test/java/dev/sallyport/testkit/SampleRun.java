package dev.sallyport.testkit;

import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.util.List;
import java.util.Map;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Runs sample test classes in this JVM through the JUnit launcher, to see what the extensions do
 * to a test. Samples carry {@code @EnabledIf("dev.sallyport.testkit.SampleRun#running")} so they
 * run only from here, never on their own.
 */
final class SampleRun {

    private static volatile boolean running;

    private SampleRun() {
    }

    static boolean running() {
        return running;
    }

    /** Runs {@code sample} with extension auto-detection off and {@code config}; returns the summary. */
    static TestExecutionSummary run(Class<?> sample, Map<String, String> config) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(sample))
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "false")
                .configurationParameters(config)
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        running = true;
        try {
            LauncherFactory.create().execute(request, listener);
        } finally {
            running = false;
        }
        return listener.getSummary();
    }

    static TestExecutionSummary run(Class<?> sample) {
        return run(sample, Map.of());
    }

    /** The messages of every failure, tests and containers alike. */
    static List<String> failures(TestExecutionSummary summary) {
        return summary.getFailures().stream().map(f -> String.valueOf(f.getException().getMessage())).toList();
    }
}

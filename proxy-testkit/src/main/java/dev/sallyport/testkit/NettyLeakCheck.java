package dev.sallyport.testkit;

import dev.sallyport.testkit.internal.LoggedEvents;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Fails a test class when Netty reported a leaked buffer (or any other tracked resource) while it
 * ran. Registration: {@code @ExtendWith(NettyLeakCheck.class)}, or for every test class through
 * JUnit's extension auto-detection (this jar lists it in {@code META-INF/services}).
 *
 * <p>When this class loads it sets leak detection to PARANOID (every buffer tracked) and installs
 * a detector factory that records each report; detectors made before that (a buffer class loaded
 * earlier) are not watched, which is why auto-detection, which loads it before any test, is the
 * surest registration. Netty reports a leak only when the garbage collector has found the lost
 * buffer, so after each class the check collects garbage and allocates a few buffers, which is
 * when pending reports surface. Attribution is per class, not per test.
 *
 * <p>Test engines that do not run Jupiter extensions (jqwik properties) call {@link #install()}
 * before their first buffer and {@link #verifyNoLeaks(String)} at the end, e.g. from jqwik's
 * {@code @BeforeContainer} and {@code @AfterContainer}.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

    private static final Queue<String> REPORTS = new ConcurrentLinkedQueue<>();

    static {
        // Netty's first logger starts SLF4J: let the logged-exception capture be chosen first.
        LoggedEvents.install();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ReportingFactory());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (context.getTestClass().map(c -> c.getEnclosingClass() == null).orElse(true)) {
            REPORTS.clear();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        verifyNoLeaks(context.getDisplayName());
    }

    /**
     * Sets leak detection to PARANOID and starts recording reports, as registering the extension
     * does; a no-op once done. For engines other than Jupiter: call it before any buffer is made.
     */
    public static void install() {
        // The work is in the static initializer, which this call triggers.
    }

    /**
     * Collects garbage so that pending reports surface, then throws an {@link AssertionError}
     * listing every leak reported since the last check, naming {@code scope} (what ran).
     *
     * @param scope what ran, for the message
     */
    public static void verifyNoLeaks(String scope) {
        surfacePendingReports();
        List<String> leaks = new ArrayList<>();
        for (String report = REPORTS.poll(); report != null; report = REPORTS.poll()) {
            leaks.add(report);
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leak(s) during " + scope + ":\n"
                    + String.join("\n", leaks));
        }
    }

    private static void surfacePendingReports() {
        // Five rounds: on a loaded machine one collection does not always find the lost buffer.
        for (int round = 0; round < 5; round++) {
            System.gc();
            // A detector reports what the collector queued when it tracks its next resource.
            for (int i = 0; i < 64; i++) {
                touch(PooledByteBufAllocator.DEFAULT);
                touch(UnpooledByteBufAllocator.DEFAULT);
            }
        }
    }

    private static void touch(ByteBufAllocator allocator) {
        allocator.directBuffer(16).release();
        allocator.heapBuffer(16).release();
    }

    /** Makes detectors that keep every report for the check, and still log it as Netty does. */
    private static final class ReportingFactory extends ResourceLeakDetectorFactory {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return new ResourceLeakDetector<>(resource, samplingInterval) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    REPORTS.add("LEAK: " + resourceType + records);
                    super.reportTracedLeak(resourceType, records);
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    REPORTS.add("LEAK: " + resourceType + " (no access records)");
                    super.reportUntracedLeak(resourceType);
                }
            };
        }
    }
}

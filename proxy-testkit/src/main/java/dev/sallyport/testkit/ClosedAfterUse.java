package dev.sallyport.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A kit object that, registered with {@code @RegisterExtension}, closes itself once its tests are
 * done: after the class for a {@code static} field, after each test for an instance field.
 */
abstract class ClosedAfterUse implements AutoCloseable, BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    private final Registration registration = new Registration();

    @Override
    public final void beforeAll(ExtensionContext context) {
        registration.classStarts();
    }

    @Override
    public final void afterEach(ExtensionContext context) {
        if (registration.perTest()) {
            close();
        }
    }

    @Override
    public final void afterAll(ExtensionContext context) {
        if (registration.classEnds()) {
            close();
        }
    }

    @Override
    public abstract void close();
}

package dev.sallyport.testkit;

/**
 * Whether a kit object registered with {@code @RegisterExtension} lives for a class or for a
 * test: JUnit calls the class callbacks only for a {@code static} field (once per class using it,
 * {@code @Nested} classes too), so without them the object belongs to one test. Thread-safe.
 */
final class Registration {

    private int classes;

    /** A class using the object starts; returns whether it is the first (nothing runs yet). */
    synchronized boolean classStarts() {
        return classes++ == 0;
    }

    /** Whether the object belongs to the current test alone (an instance field). */
    synchronized boolean perTest() {
        return classes == 0;
    }

    /** A class using the object ended; returns whether it was the last (time to close). */
    synchronized boolean classEnds() {
        return --classes == 0;
    }
}

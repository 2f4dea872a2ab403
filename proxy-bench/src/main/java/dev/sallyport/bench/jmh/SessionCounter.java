package dev.sallyport.bench.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Sessions a batch benchmark completed, reported by JMH as a rate ({@code :sessions}, per second)
 * next to the primary score (batches per second). The batch size is a {@code @Param} so that a
 * smoke run can use a small one; the rate does not depend on it.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class SessionCounter {

    /** Sessions completed in this iteration. */
    public long sessions;

    @Setup(Level.Iteration)
    public void reset() {
        sessions = 0;
    }
}

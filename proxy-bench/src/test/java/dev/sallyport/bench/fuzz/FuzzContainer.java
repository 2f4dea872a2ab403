package dev.sallyport.bench.fuzz;

import dev.sallyport.testkit.NettyLeakCheck;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * What every group of fuzz properties shares: Netty's leak detector at PARANOID with its reports
 * recorded from before the first buffer (jqwik runs no Jupiter extension, so the test kit's leak
 * check is called directly), and after the group, garbage collected so that pending reports
 * surface: any leak fails the run. The inputs' count and longest time go to standard output.
 */
abstract class FuzzContainer {

    @BeforeContainer
    static void recordLeaks() {
        NettyLeakCheck.install();
    }

    @AfterContainer
    static void noLeaks() {
        System.out.println("fuzz: " + Watchdog.report());
        NettyLeakCheck.verifyNoLeaks("fuzzing");
    }
}

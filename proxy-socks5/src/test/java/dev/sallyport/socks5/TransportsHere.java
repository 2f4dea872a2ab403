package dev.sallyport.socks5;

import dev.sallyport.core.IoTransport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Assumptions;

/** Which native transports run on the machine the tests run on. */
final class TransportsHere {

    private TransportsHere() {
    }

    /** {@code transport}, after skipping the test (visibly) where it cannot run. */
    static IoTransport assumeRuns(IoTransport transport) {
        switch (transport) {
            case IO_URING -> Assumptions.assumeTrue(IoUring.isAvailable(), () -> "io_uring: " + IoUring.unavailabilityCause());
            case EPOLL -> Assumptions.assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
            default -> { }
        }
        return transport;
    }
}

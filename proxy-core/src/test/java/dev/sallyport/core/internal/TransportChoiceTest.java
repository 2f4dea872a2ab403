package dev.sallyport.core.internal;

import dev.sallyport.core.IoTransport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code transport(...)}: AUTO takes the first that runs of io_uring, epoll, NIO; a named one runs or fails naming why. */
class TransportChoiceTest {

    @Test
    void auto_takesTheFirstThatRunsHere_andNamesWhyTheOthersWereNot() {
        Transport.Choice choice = Transport.choose(IoTransport.AUTO);
        Transport expected = IoUring.isAvailable() ? Transport.IO_URING : Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO;
        assertThat(choice.transport()).isEqualTo(expected);
        assertThat(choice.passedOver()).hasSize(expected.ordinal())
                .allSatisfy(line -> assertThat(line).matches("(io_uring|epoll) unavailable: .+"));
    }

    @Test
    void nio_alwaysRuns() {
        assertThat(Transport.choose(IoTransport.NIO).transport()).isEqualTo(Transport.NIO);
        assertThat(Transport.choose(IoTransport.NIO).passedOver()).isEmpty();
    }

    @Test
    void aNamedNativeTransport_runsWhereItCan_orFailsNamingTheSettingAndTheCause() {
        if (IoUring.isAvailable()) {
            assertThat(Transport.choose(IoTransport.IO_URING).transport()).isEqualTo(Transport.IO_URING);
        } else {
            assertThatThrownBy(() -> Transport.choose(IoTransport.IO_URING)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("transport: io_uring cannot run here (");
        }
        if (Epoll.isAvailable()) {
            assertThat(Transport.choose(IoTransport.EPOLL).transport()).isEqualTo(Transport.EPOLL);
        } else {
            assertThatThrownBy(() -> Transport.choose(IoTransport.EPOLL)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("transport: epoll cannot run here (");
        }
    }

    @Test
    void propertiesKey_takesTheOperatorsNames_andRejectsOthersNamingTheChoices() {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("transport", "nio");
        dev.sallyport.core.ProxyProperties.apply(dev.sallyport.core.ProxyManager.builder(), properties);
        properties.setProperty("transport", "IO_URING");
        assertThatThrownBy(() -> dev.sallyport.core.ProxyProperties.apply(dev.sallyport.core.ProxyManager.builder(), properties))
                .isInstanceOf(dev.sallyport.api.InvalidSettingException.class)
                .hasMessage("transport: IO_URING (expected: auto, io_uring, epoll or nio)");
        assertThatThrownBy(() -> dev.sallyport.core.ProxyManager.builder().transport(null))
                .isInstanceOf(NullPointerException.class).hasMessage("transport");
    }

    @Test
    void ids_areWhatOperatorsType() {
        assertThat(Transport.IO_URING.id()).isEqualTo("io_uring");
        assertThat(Transport.EPOLL.id()).isEqualTo("epoll");
        assertThat(Transport.NIO.id()).isEqualTo("nio");
    }
}

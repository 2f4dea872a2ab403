package dev.sallyport.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@link LoggedExceptionCheck} and {@link NettyLeakCheck} do to a test, seen from outside it. */
@Timeout(60)
class ChecksTest {

    @Test
    void exceptionLoggedAtWarnByAWatchedLogger_failsTheTest_namingTheEvent() {
        TestExecutionSummary summary = SampleRun.run(Logs.class);

        assertThat(summary.getTestsSucceededCount()).as("%s", SampleRun.failures(summary)).isEqualTo(5);
        assertThat(summary.getTotalFailureCount()).isEqualTo(4);
        assertThat(SampleRun.failures(summary)).anySatisfy(message -> assertThat(message)
                .startsWith("1 unexpected exception(s) logged during warnWithException()")
                .contains("WARN dev.sallyport.sample [")
                .contains("relay failed: java.io.IOException: boom"));
        assertThat(SampleRun.failures(summary)).anySatisfy(message -> assertThat(message)
                .startsWith("1 unexpected exception(s) logged during errorFromAnotherThread()")
                .contains("[sample-worker]"));
        assertThat(SampleRun.failures(summary)).anySatisfy(message -> assertThat(message)
                .startsWith("1 unexpected exception(s) logged during exceptionAtTheTailOfANettyPipeline()")
                .contains("WARN io.netty.channel.DefaultChannelPipeline"));
        assertThat(SampleRun.failures(summary)).anySatisfy(message -> assertThat(message)
                .startsWith("1 unexpected exception(s) logged during allowedTypeOnly_anotherTypeStillFails()")
                .contains("UncheckedIOException"));
    }

    @Test
    void loggersParameter_replacesTheWatchedPrefixes() {
        TestExecutionSummary summary = SampleRun.run(OtherLogger.class,
                Map.of(LoggedExceptionCheck.LOGGERS, "com.example, org.other"));

        assertThat(SampleRun.failures(summary)).singleElement().asString()
                .contains("WARN com.example.app");
    }

    @Test
    void leakedBuffer_failsTheClass() {
        TestExecutionSummary summary = SampleRun.run(Leaks.class);

        assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
        assertThat(SampleRun.failures(summary)).singleElement().asString()
                .startsWith("Netty reported ")
                .contains("leak(s) during ChecksTest$Leaks")
                .contains("LEAK: ByteBuf");
    }

    @EnabledIf("dev.sallyport.testkit.SampleRun#running")
    @ExtendWith(LoggedExceptionCheck.class)
    static class Logs {
        @Test
        void warnWithException() {
            LoggerFactory.getLogger("dev.sallyport.sample").warn("relay failed", new IOException("boom"));
        }

        @Test
        void errorFromAnotherThread() throws InterruptedException {
            Thread worker = new Thread(() -> LoggerFactory.getLogger("dev.sallyport.sample")
                    .error("worker failed: {}", "x", new IllegalStateException("bad state")), "sample-worker");
            worker.start();
            worker.join();
        }

        @Test
        void exceptionAtTheTailOfANettyPipeline() throws InterruptedException {
            // A real channel: EmbeddedChannel keeps unhandled exceptions instead of logging them.
            MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            try {
                NioSocketChannel channel = new NioSocketChannel();
                group.register(channel).sync();
                channel.pipeline().fireExceptionCaught(new IOException("nobody handled me"));
                channel.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }

        @Test
        void warnWithoutException_passes() {
            LoggerFactory.getLogger("dev.sallyport.sample").warn("slow client {}", "127.0.0.1");
        }

        @Test
        void unwatchedLogger_passes() {
            LoggerFactory.getLogger("com.example.app").error("not ours", new IOException("boom"));
        }

        @Test
        @AllowLoggedExceptions
        void allowedEverything_passes() {
            LoggerFactory.getLogger("dev.sallyport.sample").error("provoked", new IOException("boom"));
        }

        @Test
        @AllowLoggedExceptions(IOException.class)
        void allowedTypeAsACause_passes() {
            LoggerFactory.getLogger("dev.sallyport.sample").warn("provoked",
                    new UncheckedIOException(new IOException("boom")));
        }

        @Test
        @AllowLoggedExceptions(IllegalStateException.class)
        void allowedTypeOnly_anotherTypeStillFails() {
            LoggerFactory.getLogger("dev.sallyport.sample").warn("provoked",
                    new UncheckedIOException(new IOException("boom")));
        }

        @Test
        void debugWithException_passes() {
            LoggerFactory.getLogger("dev.sallyport.sample").debug("expected noise", new IOException("boom"));
        }
    }

    @EnabledIf("dev.sallyport.testkit.SampleRun#running")
    @ExtendWith(LoggedExceptionCheck.class)
    static class OtherLogger {
        @Test
        void watchedByConfiguration() {
            LoggerFactory.getLogger("com.example.app").warn("failed", new IOException("boom"));
            LoggerFactory.getLogger("dev.sallyport.sample").warn("not watched now", new IOException("boom"));
        }
    }

    @EnabledIf("dev.sallyport.testkit.SampleRun#running")
    @ExtendWith(NettyLeakCheck.class)
    static class Leaks {
        @Test
        void dropsABufferWithoutReleasingIt() {
            ByteBuf lost = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            lost.writeLong(42);
        }
    }
}

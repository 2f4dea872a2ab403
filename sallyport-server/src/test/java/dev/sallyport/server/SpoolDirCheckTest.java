package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --spool-dir} is checked at start by writing a probe file, so a spool nobody can write is
 * a usage error at once instead of lost records at the shutdown that needed it.
 */
@Timeout(60)
class SpoolDirCheckTest {

    @Test
    void aDirectoryThatCanBeWritten_passes_isCreated_andTheProbeFileIsGone(@TempDir Path dir) throws Exception {
        Path spool = dir.resolve("var").resolve("spool");
        assertThat(SpoolFlags.unwritable(spool)).isNull();
        assertThat(spool).isEmptyDirectory();

        assertThat(SpoolFlags.unwritable(spool)).as("again, as a second instance sharing it").isNull();
        assertThat(spool).isEmptyDirectory();
    }

    @Test
    void aPathThatCannotHoldFiles_isNamedWithTheReason(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThat(SpoolFlags.unwritable(file)).contains("a-file");
        assertThat(SpoolFlags.unwritable(Path.of("/proc/sallyport-spool"))).isNotNull();
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    @Test
    void serve_withAnUnwritableSpool_exitsTwoNamingTheFlag_beforeTheDatabaseIsTried() throws Exception {
        String deadUrl;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadUrl = "jdbc:postgresql://127.0.0.1:" + socket.getLocalPort() + "/nothing";
        }
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--jdbc-url", deadUrl,
                "--spool-dir", "/proc/sallyport-spool"))
                .startsWith("sallyport: --spool-dir: /proc/sallyport-spool (expected: a directory this user can write; ");
    }
}

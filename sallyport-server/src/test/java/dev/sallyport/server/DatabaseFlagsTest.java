package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.sallyport.server.CliSettingsTest.effective;
import static dev.sallyport.server.CliSettingsTest.usageError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve}'s database and auth-cache settings: flags and config keys alike, shown in the
 * effective-configuration line when set, and refused with the flag's name when out of range,
 * before any connection (checked against a closed port).
 */
@Timeout(120)
class DatabaseFlagsTest {

    private static String deadJdbcUrl() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "jdbc:postgresql://127.0.0.1:" + socket.getLocalPort() + "/nothing";
        }
    }

    @Test
    void databaseFlags_andConfigKeys_giveTheSameEffectiveConfiguration_shownWhenSet(@TempDir Path dir) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:5432/sallyport";
        Path file = Files.writeString(dir.resolve("db.properties"), """
                jdbc-url=%s
                migrate=false
                jdbc-threads=6
                jdbc-pool-size=3
                jdbc-connection-timeout=2s
                jdbc-max-lifetime=10m
                jdbc-buffer-size=1000
                jdbc-batch-size=100
                auth-cache-ttl=30s
                """.formatted(url));
        String flags = effective("serve", "--jdbc-url", url, "--no-migrate", "--jdbc-threads", "6", "--jdbc-pool-size", "3",
                "--jdbc-connection-timeout", "2s", "--jdbc-max-lifetime", "10m", "--jdbc-buffer-size", "1000",
                "--jdbc-batch-size", "100", "--auth-cache-ttl", "30s");

        assertThat(flags).endsWith(" migrate=false jdbc-threads=6 jdbc-pool-size=3 jdbc-connection-timeout=2s "
                + "jdbc-max-lifetime=10m jdbc-buffer-size=1000 jdbc-batch-size=100 auth-cache-ttl=30s")
                .isEqualTo(effective("serve", "--config", file.toString()));
        assertThat(effective("serve", "--jdbc-url", url)).doesNotContain("migrate").doesNotContain("jdbc-threads")
                .doesNotContain("pool").doesNotContain("auth-cache-ttl");
    }

    @Test
    void outOfRangeValues_areUsageErrorsNamingTheFlag_beforeConnecting() throws Exception {
        String url = deadJdbcUrl();
        assertThat(usageError("serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-pool-size", "0"))
                .isEqualTo("sallyport: --jdbc-pool-size: is 0 (expected: 1-1000) (see --help)");
        assertThat(usageError("serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-connection-timeout", "100ms"))
                .isEqualTo("sallyport: --jdbc-connection-timeout: is 100 (expected: 250-600000) in milliseconds (see --help)");
        assertThat(usageError("serve", "--socks5", "0", "--jdbc-url", url, "--jdbc-batch-size", "5000"))
                .isEqualTo("sallyport: --jdbc-batch-size: is 5000 (expected: 1-2000) (see --help)");
        assertThat(usageError("serve", "--socks5", "0", "--auth-cache-ttl", "soon"))
                .isEqualTo("sallyport: --auth-cache-ttl: 'soon' (expected: a duration such as 500ms, 5s, 30m or 1h) (see --help)");
        assertThat(usageError("serve", "--socks5", "0", "--jdbc-pool-size", "3"))
                .isEqualTo("sallyport: --jdbc-pool-size: needs --jdbc-url (see --help)");
        assertThat(usageError("serve", "--socks5", "0", "--no-migrate"))
                .isEqualTo("sallyport: --no-migrate: needs --jdbc-url (see --help)");
    }
}

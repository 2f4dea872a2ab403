package dev.sallyport.server;

import dev.sallyport.api.PasswordHashes;
import dev.sallyport.testkit.Socks5Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import static dev.sallyport.server.ServeReloadTest.privateFile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A config file with a thousand plaintext users starts without hashing them (one PBKDF2 run each
 * took the server about a minute to start): {@code ready} comes within the 30 s that
 * {@link ServerProcess#nextLine} waits, and each user's first login hashes their password then.
 */
@Timeout(120)
class ServeColdStartTest {

    @Test
    void thousandPlaintextUsersInTheConfigFile_startWithoutHashingThem_andLogIn(@TempDir Path dir) throws Exception {
        StringBuilder config = new StringBuilder("socks5=0\n");
        for (int i = 1; i <= 1000; i++) {
            config.append("user.user").append(i).append("=password-").append(i).append('\n');
        }
        config.append("user.hashed=").append(PasswordHashes.hash("hashed-pw")).append('\n');
        Path file = privateFile(dir.resolve("sallyport.properties"), config.toString());

        try (ServerProcess server = ServerProcess.start("serve", "--config", file.toString())) {
            InetSocketAddress proxy = server.awaitReady().get(0).address();

            try (Socks5Client client = Socks5Client.open(proxy)) {
                assertThat(client.login("user500", "password-500")).isZero();
            }
            try (Socks5Client client = Socks5Client.open(proxy)) {
                assertThat(client.login("user501", "password-500")).isNotZero();
            }
            try (Socks5Client client = Socks5Client.open(proxy)) {
                assertThat(client.login("hashed", "hashed-pw")).isZero();
            }
        }
    }
}

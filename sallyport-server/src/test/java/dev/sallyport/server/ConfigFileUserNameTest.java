package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** A user.NAME key whose name breaks the api's rule is refused, not split at its ':'. */
@Timeout(60)
class ConfigFileUserNameTest {

    @Test
    void configFile_userNameWithAColon_exitsTwoNamingTheKeyAndTheRule(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sallyport.conf");
        Files.writeString(file, "socks5=0\nuser.a:b=secret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        StringWriter err = new StringWriter();
        int exit = Main.run(new String[] {"serve", "--config", file.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err, true));
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("sallyport: --config: user.a:b in " + file + ": name: contains ':' at index 1")
                .doesNotContain("secret");
    }
}

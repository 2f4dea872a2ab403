package dev.sallyport.server;

import dev.sallyport.core.ProxyProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The config file's keys are the flags' names; the proxy's keys are checked by {@link ProxyProperties}. */
class ConfigFileTest {

    private static ServeCommand parse(String... args) throws ConfigFile.UsageException {
        CommandLine line = new CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
        return (ServeCommand) line.parseArgs(ConfigFile.expand(args)).subcommand().commandSpec().userObject();
    }

    @Test
    void everyKey_isAFlagOfServe() {
        CommandLine.Model.CommandSpec serve = new CommandLine(new ServeCommand()).getCommandSpec();
        assertThat(ConfigFile.KEYS).containsAll(ProxyProperties.keys()).containsAll(ConfigFile.SERVER_KEYS);
        assertThat(ConfigFile.KEYS).allSatisfy(key -> assertThat(serve.findOption("--" + key)).as(key).isNotNull());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bandwidth=fast        | --bandwidth: fast (expected: bytes per second > 0 such as 1048576, 512K, 10M or 1G)",
        "deny=10.0.0.0/33      | --deny: 10.0.0.0/33 (expected: an address or CIDR such as 10.0.0.0/8 or fd00::/8)",
        "allow-ports=80,x      | --allow-ports: 80,x (expected: ports such as 80,443,8000-8100)",
        "max-clients-per-ip=0  | --max-clients-per-ip: 0 (expected: an integer >= 1)",
        "socks5=70000          | --socks5: 70000 (expected: a port 0-65535, 0 for any free port)",
        "bind=nowhere          | --bind: nowhere (expected: an IP address such as 127.0.0.1, ::1 or 0.0.0.0, or localhost)",
    })
    void badValueInTheFile_isAUsageErrorNamingTheFlag(String line, String message, @TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("sallyport.properties"), line + "\n");
        ServeCommand serve = parse("serve", "--config", file.toString());
        assertThatThrownBy(() -> serve.start(null, null))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessage(message);
    }

    @Test
    void allowFlag_takesOneRangePerFlag() throws Exception {
        ServeCommand serve = parse("serve", "--allow", "10.0.0.0/8,192.168.0.0/16");
        assertThatThrownBy(() -> serve.start(null, null))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--allow: 10.0.0.0/8,192.168.0.0/16 (expected: one address or CIDR per --allow)");
    }

    @Test
    void tlsWithoutHttp_namesTheMissingListener() throws Exception {
        ServeCommand serve = parse("serve", "--tls-cert", "c.pem", "--tls-key", "k.pem");
        assertThatThrownBy(() -> serve.start(null, null))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--tls-cert: needs --http PORT (TLS applies to the HTTP listener)");
    }
}

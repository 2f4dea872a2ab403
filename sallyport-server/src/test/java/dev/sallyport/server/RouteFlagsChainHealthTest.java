package dev.sallyport.server;

import dev.sallyport.core.UpstreamGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --upstream} chains ({@code URL>URL}) and the {@code health} and {@code health-interval} options. */
class RouteFlagsChainHealthTest {

    @Test
    void healthOptions_setTheGroupsActiveChecks_inAnyOrder() {
        UpstreamGroup group = RouteFlags.group("eu=socks5://10.0.0.5:1080;health-interval=2s;health=connect:example.com:443");
        assertThat(group.healthCheck()).isEqualTo("connect:example.com:443");
        assertThat(group.healthInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(RouteFlags.group("eu=socks5://10.0.0.5:1080;health=connect").healthInterval())
                .isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aUrlChain_isOneMemberOfTheGroup() {
        UpstreamGroup group = RouteFlags.group("eu=socks5://u:hunter2@10.0.0.5:1080>http://10.0.0.6:3128,socks5://10.0.0.7:1080");
        assertThat(group.upstreams()).hasSize(2);
        assertThat(group.upstreams().get(0).hops()).hasSize(2);
        assertThat(group.toString()).doesNotContain("hunter2");
        assertThat(RouteFlags.redact("eu=socks5://u:hunter2@10.0.0.5:1080>http://v:s3cret@10.0.0.6:3128"))
                .isEqualTo("eu=socks5://u:***@10.0.0.5:1080>http://v:***@10.0.0.6:3128");
    }

    @Test
    void aBadHealthOption_namesTheOptionAndWhatItTakes() {
        assertThatThrownBy(() -> RouteFlags.group("eu=socks5://10.0.0.5:1080;health=ping"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("healthCheck: 'ping' (expected: connect or connect:HOST:PORT)");
        assertThatThrownBy(() -> RouteFlags.group("eu=socks5://10.0.0.5:1080;health-interval=often"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("health-interval: 'often' (expected: a duration such as 500ms, 10s or 5m)");
        assertThatThrownBy(() -> RouteFlags.group("eu=socks5://10.0.0.5:1080;healthy=yes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("option 'healthy' of group eu (expected: strategy, max-fails, fail-timeout, attempts, "
                        + "fallback, health or health-interval)");
    }

    @Test
    void theConfigKey_takesChainsAndHealthLikeTheFlag(@TempDir Path dir) throws Exception {
        String value = "socks5://10.0.0.5:1080>http://10.0.0.6:3128;health=connect;health-interval=5s";
        Path file = Files.writeString(dir.resolve("sallyport.properties"), "upstream.eu=" + value + "\n",
                StandardCharsets.UTF_8);
        picocli.CommandLine line = new picocli.CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
        ServeCommand serve = (ServeCommand) line.parseArgs(ConfigFile.expand(new String[] {"serve", "--config",
                file.toString()})).subcommand().commandSpec().userObject();
        assertThat(serve.routing.configUpstreams).containsExactly("eu=" + value);
        assertThat(RouteFlags.group(serve.routing.configUpstreams.get(0)).upstreams().get(0).hops()).hasSize(2);
    }
}

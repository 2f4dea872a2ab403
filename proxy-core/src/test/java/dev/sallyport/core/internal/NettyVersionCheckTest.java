package dev.sallyport.core.internal;

import io.netty.util.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NettyVersionCheckTest {

    private static final String BUILT = "4.2.18.Final";

    @Test
    void failure_everyArtifactOnTheBuildsLine_none() {
        assertThat(NettyVersionCheck.failure(Map.of("netty-common", BUILT, "netty-transport", BUILT), BUILT, true))
                .isEmpty();
        assertThat(NettyVersionCheck.failure(Map.of("netty-common", "4.2.30.Final"), BUILT, true)).isEmpty();
    }

    @Test
    void failure_artifactsOfTheOlderLine_namesThemTheRequiredLineAndTheBuildsVersion() {
        assertThat(NettyVersionCheck.failure(Map.of(
                "netty-common", "4.1.118.Final", "netty-transport", "4.1.118.Final", "netty-buffer", BUILT), BUILT, true))
                .hasValue("Netty version: netty-common 4.1.118.Final, netty-transport 4.1.118.Final (expected: 4.2.x;"
                        + " Sallyport is built against 4.2.18.Final). Align every io.netty artifact on one 4.2 release,"
                        + " e.g. import io.netty:netty-bom:4.2.18.Final");
    }

    @Test
    void failure_aNewerLine_fails() {
        assertThat(NettyVersionCheck.failure(Map.of("netty-common", "4.3.0.Final"), BUILT, true))
                .hasValueSatisfying(message -> assertThat(message).startsWith("Netty version: netty-common 4.3.0.Final (expected: 4.2.x;"));
    }

    @Test
    void failure_aVersionThatIsNoVersion_fails() {
        assertThat(NettyVersionCheck.failure(Map.of("netty-common", "custom"), BUILT, true))
                .hasValueSatisfying(message -> assertThat(message).startsWith("Netty version: netty-common custom (expected: 4.2.x;"));
    }

    @Test
    void failure_tcnativeAndIncubatorOnTheirOwnLines_areNotChecked() {
        assertThat(NettyVersionCheck.failure(Map.of("netty-common", BUILT,
                "netty-tcnative-boringssl-static", "2.0.70.Final",
                "netty-incubator-codec-http3", "0.0.28.Final"), BUILT, true)).isEmpty();
    }

    @Test
    void failure_noVersionFiles_decidedByTheLinesOwnClass() {
        assertThat(NettyVersionCheck.failure(Map.of(), BUILT, true)).isEmpty();
        assertThat(NettyVersionCheck.failure(Map.of(), BUILT, false))
                .hasValueSatisfying(message -> assertThat(message)
                        .startsWith("Netty version: unknown, without io.netty.channel.MultiThreadIoEventLoopGroup (expected: 4.2.x;"));
    }

    @Test
    void warning_allArtifactsOfTheBuildsRelease_none() {
        assertThat(NettyVersionCheck.warning(Map.of("netty-common", BUILT, "netty-transport", BUILT), BUILT)).isEmpty();
        assertThat(NettyVersionCheck.warning(Map.of("netty-common", "4.2.19.Final"), BUILT)).isEmpty();
    }

    @Test
    void warning_anOlderReleaseOfTheLine_saysUntested() {
        assertThat(NettyVersionCheck.warning(Map.of("netty-common", "4.2.3.Final"), BUILT))
                .hasValue("Netty 4.2.3.Final on the class path; Sallyport is built against 4.2.18.Final (older 4.2 releases"
                        + " are untested): align every io.netty artifact on one release, e.g. with io.netty:netty-bom:4.2.18.Final");
    }

    @Test
    void warning_severalReleasesOfTheLine_namesThem() {
        assertThat(NettyVersionCheck.warning(Map.of("netty-common", BUILT, "netty-codec-http", "4.2.19.Final"), BUILT))
                .hasValueSatisfying(message -> assertThat(message)
                        .startsWith("Netty 4.2.18.Final, 4.2.19.Final on the class path; Sallyport is built against 4.2.18.Final"
                                + " (artifacts of several releases)"));
    }

    @Test
    void builtAgainst_isTheNettyOfThisBuild() {
        assertThat(NettyVersionCheck.builtAgainst())
                .isEqualTo(Version.identify(Version.class.getClassLoader()).get("netty-common").artifactVersion());
    }

    @Test
    void requireSupported_theRealClassPath_passes() {
        assertThatCode(NettyVersionCheck::requireSupported).doesNotThrowAnyException();
    }

    @Test
    void check_aNetty41JarBesideTheRealOnes_failsNamingIt(@TempDir Path dir) throws IOException {
        // What a host's class path shows when it pins one Netty artifact to 4.1: that jar's version file.
        Path file = dir.resolve("META-INF/io.netty.versions.properties");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "netty-codec-http.version=4.1.118.Final\n"
                + "netty-codec-http.buildDate=2025-02-10 12:00:00 +0000\n"
                + "netty-codec-http.commitDate=2025-02-10 12:00:00 +0000\n"
                + "netty-codec-http.shortCommitHash=0000000\n"
                + "netty-codec-http.longCommitHash=0000000000000000000000000000000000000000\n"
                + "netty-codec-http.repoStatus=clean\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            assertThatThrownBy(() -> NettyVersionCheck.check(loader))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Netty version: netty-codec-http 4.1.118.Final (expected: 4.2.x;"
                            + " Sallyport is built against " + NettyVersionCheck.builtAgainst() + ")");
        }
    }
}

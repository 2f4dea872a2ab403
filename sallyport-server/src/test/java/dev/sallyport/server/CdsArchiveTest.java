package dev.sallyport.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The class-data-sharing archive bin/sallyport starts the CLI with: the training run makes one,
 * the CLI uses it, and with a missing or broken archive the CLI runs all the same, saying nothing.
 * The JVM options are read from bin/sallyport itself, so this checks the launcher's own line.
 */
@Timeout(180)
class CdsArchiveTest {

    private record Run(int exit, String out, String err) {
    }

    @TempDir
    static Path jars;
    private static String classPath;

    @BeforeAll
    static void jarTheClassPath() throws IOException {
        classPath = jarredClassPath(jars);
    }

    /** The CDS options of bin/sallyport, for {@code archive}. */
    private static List<String> launcherOptions(Path archive) throws Exception {
        String line = Files.readAllLines(Path.of("../bin/sallyport")).stream()
                .filter(l -> l.contains("-XX:SharedArchiveFile=")).findFirst().orElseThrow().trim();
        String inner = line.substring(line.indexOf('(') + 1, line.lastIndexOf(')'));
        return Arrays.stream(inner.split(" ")).map(o -> o.replace("\"$JSA\"", archive.toString())).toList();
    }

    /**
     * The test class path with each directory (target/classes of this and the reactor's modules)
     * turned into a jar: class-data sharing accepts jars only, as the product's lib/ holds.
     */
    private static String jarredClassPath(Path dir) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (!Files.isDirectory(path)) {
                entries.add(entry);
                continue;
            }
            Path jar = dir.resolve("classes-" + n++ + ".jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                 Stream<Path> files = Files.walk(path)) {
                for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    out.putNextEntry(new JarEntry(path.relativize(file).toString().replace(File.separatorChar, '/')));
                    Files.copy(file, out);
                    out.closeEntry();
                }
            }
            entries.add(jar.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static Run java(String classPath, List<String> options, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.add("-cp");
        command.add(classPath);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void trainingRun_writesAnArchive_thatTheCliStartsWith() throws Exception {
        Path archive = train();
        List<String> options = new ArrayList<>(launcherOptions(archive));
        options.add("-Xlog:class+load=info");
        Run version = java(classPath, options, Main.class.getName(), "version");
        assertThat(version.exit()).as(version.err()).isZero();
        assertThat(version.out()).contains("Main source: shared objects file");
        assertThat(version.out().lines().filter(l -> !l.startsWith("["))).containsExactly("sallyport development build");
    }

    @Test
    void archive_holdsServesSessionPath() throws Exception {
        Path archive = train();
        Run listing = java(classPath, List.of("-XX:SharedArchiveFile=" + archive, "-XX:+PrintSharedArchiveAndExit",
                "-XX:+PrintSharedDictionary"), Main.class.getName());
        assertThat(listing.out()).contains("dev.sallyport.core.internal.Engine ", "dev.sallyport.socks5.Socks5Frontend ",
                "dev.sallyport.core.internal.session.Relay ", "io.netty.channel.DefaultChannelPipeline ");
    }

    @Test
    void mismatchedBrokenOrMissingArchive_cliRunsAllTheSame_silently() throws Exception {
        Path archive = train();
        // Another class path than the archive's (a jar rebuilt or moved): the JVM would warn on stdout.
        Path extra = jars.resolve("extra.jar");
        new JarOutputStream(Files.newOutputStream(extra)).close();
        Run moved = java(extra + File.pathSeparator + classPath, launcherOptions(archive), Main.class.getName(), "version");
        assertThat(moved.exit()).as(moved.err()).isZero();
        assertThat(moved.out()).isEqualTo("sallyport development build\n");
        assertThat(moved.err()).isEmpty();

        Path broken = jars.resolve("broken.jsa");
        Files.writeString(broken, "not an archive");
        for (Path unusable : List.of(broken, jars.resolve("missing.jsa"))) {
            Run version = java(classPath, launcherOptions(unusable), Main.class.getName(), "version");
            assertThat(version.exit()).as(version.err()).isZero();
            assertThat(version.out()).isEqualTo("sallyport development build\n");
            assertThat(version.err()).isEmpty();
        }
    }

    /** The training run, as the build makes it; once per class. */
    private static synchronized Path train() throws Exception {
        Path archive = jars.resolve("sallyport.jsa");
        if (!Files.exists(archive)) {
            Run training = java(classPath, List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off",
                    "-Xlog:cds+dynamic=off"), CdsTraining.class.getName());
            assertThat(training.exit()).as(training.err()).isZero();
            assertThat(archive).isNotEmptyFile();
        }
        return archive;
    }
}

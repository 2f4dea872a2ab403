package dev.sallyport.core.internal;

import io.netty.util.Version;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks at {@code start()} that the class path holds the Netty line Sallyport was built against
 * (4.2), so that a host bringing another Netty gets one startup error naming both versions
 * instead of a {@code NoSuchMethodError} or {@code NoClassDefFoundError} from deep inside a
 * handler later. Each Netty jar carries its own version ({@code META-INF/io.netty.versions.properties},
 * read by {@link Version#identify(ClassLoader)}), so a 4.1 artifact mixed into 4.2 ones is named.
 * Another 4.2 release passes: older ones or a mix of 4.2 releases get a WARN, once.
 */
public final class NettyVersionCheck {

    private static final Logger log = LoggerFactory.getLogger(NettyVersionCheck.class);

    /** Major and minor version, from e.g. {@code 4.2.18.Final}. */
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)(?:\\D.*)?");

    /** A class only the 4.2 line has: the check for a Netty whose jars lost their version files. */
    private static final String LINE_CLASS = "io.netty.channel.MultiThreadIoEventLoopGroup";

    private static volatile boolean passed;

    private NettyVersionCheck() {
    }

    /**
     * Fails when the Netty that core links against is not the line it was built against; logs a
     * WARN when it is, but older or mixed. Cheap after the first success.
     *
     * @throws IllegalStateException naming the required line, the version built against and
     *                               every Netty artifact found on another line
     */
    public static void requireSupported() {
        if (!passed) {
            check(NettyVersionCheck.class.getClassLoader());
            passed = true;
        }
    }

    /** The check of {@link #requireSupported()} against what {@code loader} sees. */
    static void check(ClassLoader loader) {
        Map<String, String> found = new TreeMap<>();
        Version.identify(loader).forEach((artifact, version) -> found.put(artifact, version.artifactVersion()));
        String builtAgainst = builtAgainst();
        Optional<String> failure = failure(found, builtAgainst, hasLineClass(loader));
        if (failure.isPresent()) {
            throw new IllegalStateException(failure.get());
        }
        warning(found, builtAgainst).ifPresent(log::warn);
        if (found.isEmpty()) {
            log.debug("No Netty version information on the class path (a repackaged jar?); found the 4.2 API");
        }
    }

    /**
     * Why Sallyport cannot run on these Netty artifacts, or empty when it can.
     *
     * @param found        Netty artifact ids and their versions ({@code netty-common} to
     *                     {@code 4.2.18.Final}); empty when the jars carry no version files
     * @param builtAgainst the Netty version of Sallyport's build
     * @param hasLineClass whether a class only the required line has is on the class path,
     *                     consulted when {@code found} is empty
     */
    static Optional<String> failure(Map<String, String> found, String builtAgainst, boolean hasLineClass) {
        String line = line(builtAgainst);
        Map<String, String> checked = checkedArtifacts(found);
        if (checked.isEmpty()) {
            return hasLineClass ? Optional.empty() : Optional.of("Netty version: unknown, without " + LINE_CLASS
                    + expected(line, builtAgainst));
        }
        String wrong = checked.entrySet().stream()
                .filter(e -> !line.equals(line(e.getValue())))
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        return wrong.isEmpty() ? Optional.empty() : Optional.of("Netty version: " + wrong + expected(line, builtAgainst));
    }

    /**
     * A note on a supported but untested combination: artifacts older than the build's version,
     * or artifacts of several releases; empty when all match the build.
     *
     * @param found        as for {@link #failure}
     * @param builtAgainst the Netty version of Sallyport's build
     */
    static Optional<String> warning(Map<String, String> found, String builtAgainst) {
        Map<String, String> checked = checkedArtifacts(found);
        TreeSet<String> versions = new TreeSet<>(checked.values());
        boolean older = versions.stream().anyMatch(v -> patch(v) < patch(builtAgainst));
        if (!older && versions.size() <= 1) {
            return Optional.empty();
        }
        return Optional.of("Netty " + String.join(", ", versions) + " on the class path; Sallyport is built against "
                + builtAgainst + (older ? " (older 4.2 releases are untested)" : " (artifacts of several releases)")
                + ": align every io.netty artifact on one release, e.g. with io.netty:netty-bom:" + builtAgainst);
    }

    /** The Netty version of this build, from a resource the build writes. */
    static String builtAgainst() {
        Properties properties = new Properties();
        try (InputStream in = NettyVersionCheck.class.getResourceAsStream("netty.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/sallyport/core/internal/netty.properties missing from proxy-core");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.getProperty("netty.version");
    }

    /**
     * The artifacts of Netty's own release train: tcnative (2.0.x) and the incubator projects
     * (0.0.x) carry version files too, on release lines of their own.
     */
    private static Map<String, String> checkedArtifacts(Map<String, String> found) {
        Map<String, String> checked = new TreeMap<>(found);
        checked.keySet().removeIf(artifact -> !artifact.startsWith("netty-")
                || artifact.startsWith("netty-tcnative") || artifact.startsWith("netty-incubator"));
        return checked;
    }

    private static String expected(String line, String builtAgainst) {
        return " (expected: " + line + ".x; Sallyport is built against " + builtAgainst
                + "). Align every io.netty artifact on one " + line + " release, e.g. import io.netty:netty-bom:"
                + builtAgainst;
    }

    /** {@code 4.2} for {@code 4.2.18.Final}; the whole string when it is not a version. */
    private static String line(String version) {
        Matcher m = VERSION.matcher(version);
        return m.matches() ? m.group(1) + "." + m.group(2) : version;
    }

    private static int patch(String version) {
        Matcher m = VERSION.matcher(version);
        return m.matches() ? Integer.parseInt(m.group(3)) : -1;
    }

    private static boolean hasLineClass(ClassLoader loader) {
        try {
            Class.forName(LINE_CLASS, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}

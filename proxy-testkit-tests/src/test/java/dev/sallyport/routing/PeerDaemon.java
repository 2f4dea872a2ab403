package dev.sallyport.routing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A proxy daemon from the distribution's packages (Dante, Squid) run in the foreground for a
 * test: its files in a temp dir, listening on one loopback port, stopped with its children.
 */
final class PeerDaemon implements AutoCloseable {

    private static final Duration READY = Duration.ofSeconds(15);

    private final String name;
    private final Process process;
    private final Path output;
    final int port;

    private PeerDaemon(String name, Process process, Path output, int port) {
        this.name = name;
        this.process = process;
        this.output = output;
        this.port = port;
    }

    /** The first of {@code candidates} that is an executable file, or null when none is installed. */
    static Path installed(String... candidates) {
        for (String candidate : candidates) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        return null;
    }

    /** Whether this JVM runs as root: then the daemons are told which users to switch to. */
    static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Hands {@code dir} to a system user, so a daemon that switched to it can write its files there. */
    static void handOver(Path dir, String user) throws IOException {
        UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
        Files.setOwner(dir, owner);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Starts {@code command} and returns once {@code port} accepts; fails with the daemon's output when it exits first. */
    static PeerDaemon start(String name, Path dir, int port, String... command) throws IOException, InterruptedException {
        Path output = dir.resolve(name + ".out");
        Process process = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        PeerDaemon daemon = new PeerDaemon(name, process, output, port);
        long deadline = System.nanoTime() + READY.toNanos();
        while (!daemon.accepts()) {
            // Waiting on the process paces the poll and ends it at once when the daemon gives up.
            if (process.waitFor(20, TimeUnit.MILLISECONDS) || System.nanoTime() - deadline > 0) {
                daemon.close();
                throw new IllegalStateException(name + " did not start on port " + port + ": " + daemon.output());
            }
        }
        return daemon;
    }

    private boolean accepts() {
        try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return process.isAlive();
        } catch (IOException e) {
            return false;
        }
    }

    /** Paces a poll for something the daemon writes: waits a moment on the daemon, not the clock. */
    void pace() throws InterruptedException {
        process.waitFor(20, TimeUnit.MILLISECONDS);
    }

    /** What the daemon wrote to its standard output and error so far. */
    String output() {
        try {
            return Files.readString(output);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** Stops the daemon and its helper processes: SIGTERM, then SIGKILL after a grace period. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public String toString() {
        return name + " on 127.0.0.1:" + port;
    }
}

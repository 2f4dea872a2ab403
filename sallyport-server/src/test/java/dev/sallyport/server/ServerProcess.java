package dev.sallyport.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The standalone server in a child JVM, exactly as the launcher runs it, with its output lines. */
final class ServerProcess implements AutoCloseable {

    private static final Pattern TEST_LOG_LINE = Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) ");
    private static final Pattern LISTENING = Pattern.compile("listening (\\S+) (\\S+):(\\d+)");

    final Process process;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final StringBuffer stderr = new StringBuffer();

    private ServerProcess(Process process) {
        this.process = process;
        pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), true);
        pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), false);
    }

    static ServerProcess start(String... args) throws IOException {
        return start(List.of(), args);
    }

    /** With JVM options, e.g. {@code -Dlogback.configurationFile=...} for the product's own logging. */
    static ServerProcess start(List<String> jvmOptions, String... args) throws IOException {
        return start(jvmOptions, builder -> { }, args);
    }

    /** With the process builder adjusted first, e.g. its environment. */
    static ServerProcess start(List<String> jvmOptions, java.util.function.Consumer<ProcessBuilder> adjust, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        adjust.accept(builder);
        return new ServerProcess(builder.start());
    }

    private void pump(BufferedReader reader, boolean out) {
        Thread thread = new Thread(() -> {
            try (reader) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (out) {
                        stdout.add(line);
                    } else {
                        stderr.append(line).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        }, "server-output");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Starts {@code serve --socks5 0 FLAG VALUE} for each value and checks that it exits 2 with
     * {@code message.apply(value)} on stderr: a usage error that names the flag.
     */
    static void assertUsageErrors(String flag, java.util.function.Function<String, String> message, String... values)
            throws IOException, InterruptedException {
        for (String value : values) {
            try (ServerProcess server = start("serve", "--socks5", "0", flag, value)) {
                int exit = server.awaitExit();
                if (exit != 2 || !server.stderr().contains(message.apply(value))) {
                    throw new AssertionError(flag + " " + value + ": exit " + exit + ", expected 2 and '"
                            + message.apply(value) + "' on stderr:\n" + server.stderr());
                }
            }
        }
    }

    /** The next stdout line, waiting up to 30 s. */
    String nextLine() throws InterruptedException {
        String line = stdout.poll(30, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("no output line within 30 s; stderr:\n" + stderr);
        }
        return line;
    }

    /** Reads the listening lines up to {@code ready}; returns the addresses in order. */
    List<Listening> awaitReady() throws InterruptedException {
        List<Listening> result = new ArrayList<>();
        while (true) {
            String line = nextLine();
            if (line.equals("ready")) {
                return result;
            }
            if (TEST_LOG_LINE.matcher(line).lookingAt()) {
                continue; // the tests' logback-test.xml logs to stdout, e.g. a WARN at start
            }
            Matcher m = LISTENING.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("unexpected stdout line: '" + line + "'; stderr:\n" + stderr);
            }
            result.add(new Listening(m.group(1), new InetSocketAddress(m.group(2), Integer.parseInt(m.group(3))), line));
        }
    }

    List<String> remainingStdout() {
        List<String> rest = new ArrayList<>();
        stdout.drainTo(rest);
        return rest;
    }

    String stderr() {
        return stderr.toString();
    }

    int awaitExit() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("process still running after 30 s; stderr:\n" + stderr);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    record Listening(String protocol, InetSocketAddress address, String line) {
    }
}

package dev.sallyport.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code sallyport sessions}: lists a running server's open sessions (a table, or {@code --json}),
 * and {@code sessions close ID} closes one, through the {@code /sessions} endpoint of its metrics
 * port ({@link SessionsEndpoint}).
 */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = "List the open sessions of a running server, or close one (sessions close ID), through its --metrics port.",
        subcommands = SessionsCommand.Close.class,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:the server cannot be reached, refused, or has no such session", "2:usage error"})
final class SessionsCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    Server server;

    @Option(names = "--json", description = "Print JSON (one object with a 'sessions' array) instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        HttpResponse<String> response = server.send(spec.commandLine(), "sessions", SessionsEndpoint.PATH,
                builder -> builder.header("Accept", json ? "application/json" : "text/plain").GET());
        if (response.statusCode() != 200) {
            throw server.refused("sessions", response);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(response.body());
        out.flush();
        return 0;
    }

    /** {@code sessions close ID}. */
    @Command(name = "close", mixinStandardHelpOptions = true,
            description = "Close the open session ID (both sides; its summary says CLOSED_BY_HOST).")
    static final class Close implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        Server server;

        @Parameters(paramLabel = "ID", description = "The session's id, as 'sessions' lists it.")
        long id;

        @Override
        public Integer call() throws Exception {
            if (id < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "ID: " + id + " (expected: a session id, >= 1)");
            }
            HttpResponse<String> response = server.send(spec.commandLine(), "sessions close",
                    SessionsEndpoint.PATH + "/" + id, builder -> builder.DELETE());
            if (response.statusCode() == 404) {
                throw new IOException("sessions close: no open session " + id);
            }
            if (response.statusCode() != 200) {
                throw server.refused("sessions close", response);
            }
            spec.commandLine().getOut().println("closed " + id);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** Which server, and how to reach its metrics port. */
    static final class Server {

        @Option(names = "--metrics-url", paramLabel = "URL",
                description = "The server's metrics endpoint, e.g. http://127.0.0.1:9090/metrics (its /sessions is used).")
        URI url;

        @Option(names = "--metrics-token-file", paramLabel = "FILE",
                description = "The token the server's --metrics-token-file holds, sent as 'Authorization: Bearer TOKEN'.")
        Path tokenFile;

        /** Sends {@code method} to {@code path} on the server; failures to connect name the command and the URL. */
        HttpResponse<String> send(CommandLine commandLine, String command, String path,
                                  java.util.function.UnaryOperator<HttpRequest.Builder> method) throws Exception {
            if (url == null) {
                throw new CommandLine.ParameterException(commandLine, "--metrics-url: missing (expected: the server's "
                        + "metrics endpoint, e.g. http://127.0.0.1:9090/metrics)");
            }
            HttpRequest request = method.apply(MetricsPort.request(commandLine, url.resolve(path), tokenFile)).build();
            HttpClient client = HttpClient.newBuilder().connectTimeout(MetricsPort.TIMEOUT).build();
            try {
                return client.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new IOException(command + ": cannot reach " + request.uri() + " ("
                        + (e.getMessage() == null ? e : e.getMessage()) + ")", e);
            }
        }

        /** The failure for an answer other than the expected one: what the server said, in one line. */
        IOException refused(String command, HttpResponse<String> response) {
            String said = response.body().lines().findFirst().orElse("").strip();
            String hint = response.statusCode() == 401 ? (tokenFile == null ? "; pass --metrics-token-file" : "; check the token") : "";
            return new IOException(command + ": HTTP " + response.statusCode() + " from " + response.uri()
                    + (said.isEmpty() ? "" : " (" + said + ")") + hint);
        }
    }
}

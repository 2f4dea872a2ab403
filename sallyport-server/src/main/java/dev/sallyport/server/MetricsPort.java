package dev.sallyport.server;

import picocli.CommandLine;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** Requests to a running server's metrics port, for the commands that read or manage it ({@code status}, {@code sessions}). */
final class MetricsPort {

    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private MetricsPort() {
    }

    /**
     * A request to {@code url} with {@code Authorization: Bearer TOKEN} when {@code tokenFile} (may
     * be null) holds the token; usage errors name the flag.
     */
    static HttpRequest.Builder request(CommandLine commandLine, URI url, Path tokenFile) {
        if (url.getScheme() == null || !url.getScheme().startsWith("http") || url.getHost() == null) {
            throw new CommandLine.ParameterException(commandLine, "--metrics-url: '" + url + "' (expected: an http:// URL)");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(TIMEOUT);
        if (tokenFile != null) {
            try {
                request.header("Authorization", "Bearer " + new String(Monitoring.token(tokenFile), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, "--metrics-token-file: " + e.getMessage());
            }
        }
        return request;
    }
}

package dev.sallyport.examples.embedding;

import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthContext;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Limits;
import dev.sallyport.api.Principal;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * A custom {@link AuthBackend} that checks tokens with an external service, asynchronously.
 * The service call (here any blocking function, e.g. an HTTP call to an identity provider) runs
 * on the executor you pass, never on Sallyport's I/O threads; the proxy resumes when the stage
 * completes, and its auth cache keeps repeat logins from calling the service again.
 *
 * <p>Clients present the token as HTTP {@code Proxy-Authorization: Bearer TOKEN}, or as the
 * password of a SOCKS5 login (any user name).
 *
 * <pre>{@code
 * AuthBackend auth = new TokenServiceAuth(token -> identityService.lookup(token), executor);
 * ProxyManager.builder().socks5(1080).auth(auth).start();
 * }</pre>
 */
public final class TokenServiceAuth implements AuthBackend {

    /** What the service says about a token: the user it belongs to and their bandwidth. */
    public record TokenInfo(String user, long bytesPerSecond) {
    }

    private final Function<String, Optional<TokenInfo>> service;
    private final Executor executor;

    /**
     * @param service  looks a token up; may block; empty when the token is unknown
     * @param executor where the lookups run
     */
    public TokenServiceAuth(Function<String, Optional<TokenInfo>> service, Executor executor) {
        this.service = Objects.requireNonNull(service, "service");
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    @Override
    public CompletionStage<AuthResult> authenticate(Credentials credentials, AuthContext context) {
        String token;
        if (credentials instanceof Credentials.BearerToken bearer) {
            token = bearer.token();
        } else if (credentials instanceof Credentials.UsernamePassword password) {
            token = password.password();
        } else {
            return CompletableFuture.completedFuture(AuthResult.notMine());
        }
        return CompletableFuture.supplyAsync(() -> service.apply(token)
                .map(info -> AuthResult.success(new Principal(info.user(),
                        Limits.NONE.withBandwidth(info.bytesPerSecond()), Map.of("source", "token-service"))))
                .orElseGet(() -> AuthResult.failure("unknown_token")), executor);
    }

    @Override
    public String name() {
        return "token-service";
    }
}

package dev.sallyport.api;

import java.util.Objects;

/**
 * Secrets issued once, when a user is created or rotated. The store keeps only their hashes;
 * hand them to the user and forget them. Redacted from {@code toString()}.
 *
 * @param user     the user they belong to
 * @param password the password (SOCKS5 username/password, HTTP Basic)
 * @param token    the bearer token (HTTP Bearer, or as the SOCKS5 password)
 */
public record NewCredentials(User user, String password, String token) {
    /**
     * Checks that no component is null.
     *
     * @param user the user they belong to
     * @param password the password (SOCKS5 username/password, HTTP Basic)
     * @param token the bearer token (HTTP Bearer, or as the SOCKS5 password)
     */
    public NewCredentials {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(token, "token");
    }

    @Override
    public String toString() {
        return "NewCredentials[user=" + user.name() + ", password=***, token=***]";
    }
}

package dev.sallyport.auth.jdbc;

import dev.sallyport.api.PasswordHashes;

/** What the JDBC store adds to {@link PasswordHashes}: equal work for logins of unknown users. */
final class Secrets {

    /**
     * Verified against when the user is unknown, so an unknown name costs as much as a known one:
     * made by {@link PasswordHashes#hash}, so with the parameters every stored hash gets.
     */
    static final String UNKNOWN_USER_HASH = PasswordHashes.hash(PasswordHashes.randomSecret(18));

    private Secrets() {
    }
}

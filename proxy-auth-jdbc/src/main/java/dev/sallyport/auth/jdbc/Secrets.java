package dev.sallyport.auth.jdbc;

import dev.sallyport.api.PasswordHashes;

/** What the JDBC store adds to {@link PasswordHashes}: equal work for logins of unknown users. */
final class Secrets {

    /** Verified against when the user is unknown, so an unknown name costs as much as a known one. */
    private static final String DUMMY_HASH = PasswordHashes.hash(PasswordHashes.randomSecret(18));

    private Secrets() {
    }

    /** Spends the time of one verification, for logins of unknown users. */
    static void verifyDummy(String password) {
        PasswordHashes.verify(password, DUMMY_HASH);
    }
}

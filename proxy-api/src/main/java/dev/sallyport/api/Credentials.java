package dev.sallyport.api;

import java.util.Objects;

/**
 * What a client presented to prove who it is. Secrets are never part of {@code toString()}.
 */
public sealed interface Credentials {

    /**
     * The credentials of a client that presented none.
     *
     * @return the empty credentials
     */
    static Credentials none() {
        return None.INSTANCE;
    }

    /**
     * Username and password (SOCKS5 RFC 1929, HTTP {@code Basic}).
     *
     * @param username the claimed user name
     * @param password the password
     * @return password credentials
     */
    static Credentials password(String username, String password) {
        return new UsernamePassword(username, password);
    }

    /**
     * A bearer token (HTTP {@code Proxy-Authorization: Bearer}).
     *
     * @param token the token
     * @return token credentials
     */
    static Credentials token(String token) {
        return new BearerToken(token);
    }

    /**
     * The user name the client claimed, or {@code null} when the credentials carry none.
     *
     * @return the claimed user name, or {@code null}
     */
    String username();

    /** No credentials. */
    enum None implements Credentials {
        /** The one instance. */
        INSTANCE;

        @Override
        public String username() {
            return null;
        }

        @Override
        public String toString() {
            return "Credentials.none";
        }
    }

    /**
     * A user name and a password.
     *
     * @param username the user name, not null
     * @param password the password, not null; redacted from {@code toString()}
     */
    record UsernamePassword(String username, String password) implements Credentials {
        /**
         * Checks that no component is null.
         *
         * @param username the user name, not null
         * @param password the password, not null; redacted from {@code toString()}
         */
        public UsernamePassword {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "UsernamePassword[username=" + username + ", password=***]";
        }
    }

    /**
     * An opaque bearer token.
     *
     * @param token the token, not null; redacted from {@code toString()}
     */
    record BearerToken(String token) implements Credentials {
        /**
         * Checks that {@code token} is not null.
         *
         * @param token the token
         */
        public BearerToken {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public String username() {
            return null;
        }

        @Override
        public String toString() {
            return "BearerToken[***]";
        }
    }
}

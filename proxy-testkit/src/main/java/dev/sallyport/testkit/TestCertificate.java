package dev.sallyport.testkit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed RSA certificate for {@code 127.0.0.1}, {@code ::1} and {@code localhost}, made at
 * run time with the JDK's {@code keytool} (about a second), valid for two days. TEST ONLY: the key
 * is written unencrypted and the key store password is {@code changeit}.
 *
 * <pre>{@code
 * TestCertificate cert = TestCertificate.generate(tempDir);
 * ProxyManager.builder().http(0).tls("http", cert.certificatePem(), cert.privateKeyPem()) ...
 * HttpClient.newBuilder().sslContext(cert.trustingContext()) ...
 * }</pre>
 */
public final class TestCertificate {

    private static final String ALIAS = "sallyport-test";
    private static final char[] PASSWORD = "changeit".toCharArray();

    private final Path certificatePem;
    private final Path privateKeyPem;
    private final KeyStore keyStore;

    private TestCertificate(Path certificatePem, Path privateKeyPem, KeyStore keyStore) {
        this.certificatePem = certificatePem;
        this.privateKeyPem = privateKeyPem;
        this.keyStore = keyStore;
    }

    /**
     * Generates a key pair and certificate into {@code directory}: {@code test.p12},
     * {@code cert.pem} and {@code key.pem} (PKCS#8).
     *
     * @param directory an existing directory
     * @return the certificate
     * @throws IllegalStateException when keytool fails
     */
    public static TestCertificate generate(Path directory) {
        Objects.requireNonNull(directory, "directory");
        try {
            Path store = directory.resolve("test.p12");
            Files.deleteIfExists(store);
            Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,ip:::1,dns:localhost",
                    "-storetype", "PKCS12", "-keystore", store.toString(),
                    "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                    .redirectErrorStream(true).start();
            String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                keytool.destroyForcibly();
                throw new IllegalStateException("keytool: failed (expected: exit 0 within 60 s): " + output);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, PASSWORD);
            }
            PrivateKey key = (PrivateKey) keyStore.getKey(ALIAS, PASSWORD);
            Path cert = Files.writeString(directory.resolve("cert.pem"),
                    pem("CERTIFICATE", keyStore.getCertificate(ALIAS).getEncoded()));
            Path pkcs8 = Files.writeString(directory.resolve("key.pem"), pem("PRIVATE KEY", key.getEncoded()));
            return new TestCertificate(cert, pkcs8, keyStore);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("keytool: unreadable key store", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("keytool: interrupted", e);
        }
    }

    private static String pem(String type, byte[] der) {
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        return "-----BEGIN " + type + "-----\n" + mime.encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /**
     * The certificate as a PEM file.
     *
     * @return the PEM file
     */
    public Path certificatePem() {
        return certificatePem;
    }

    /**
     * The private key as an unencrypted PKCS#8 PEM file.
     *
     * @return the PEM file
     */
    public Path privateKeyPem() {
        return privateKeyPem;
    }

    /**
     * A PKCS#12 key store holding the key and certificate; password {@link #password()}.
     *
     * @return the key store
     */
    public KeyStore keyStore() {
        return keyStore;
    }

    /**
     * The key store's and the key's password (a copy).
     *
     * @return the password
     */
    public char[] password() {
        return PASSWORD.clone();
    }

    /**
     * The certificate.
     *
     * @return the certificate
     */
    public X509Certificate certificate() {
        try {
            return (X509Certificate) keyStore.getCertificate(ALIAS);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A TLS client context that trusts this certificate and nothing else.
     *
     * @return the context
     */
    public SSLContext trustingContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry(ALIAS, certificate());
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("trustingContext: " + e, e);
        }
    }
}

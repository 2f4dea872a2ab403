package dev.sallyport.server;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/** A self-signed certificate for 127.0.0.1, made at test time with the JDK's keytool. */
final class TestCertificates {

    private TestCertificates() {
    }

    /** Returns {certificate PEM, PKCS#8 key PEM} written into {@code dir}. */
    static Path[] selfSignedPem(Path dir) throws Exception {
        Path store = dir.resolve("proxy.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "proxy", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + output);
        }
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            keyStore.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) keyStore.getKey("proxy", "changeit".toCharArray());
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Path cert = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n"
                + mime.encodeToString(keyStore.getCertificate("proxy").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Path pem = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + mime.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return new Path[] {cert, pem};
    }
}

package dev.sallyport.examples.embedding;

import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * What a Java host application does, run in a JVM of its own by {@link JdkBasicOverHttpsTest}
 * (the JDK reads {@code jdk.http.auth.tunneling.disabledSchemes} once per JVM): fetches an HTTPS
 * URL with the JDK {@link HttpClient} through an HTTP proxy that wants Basic credentials, and
 * prints what happened on one line: {@code status CODE [BODY]} or {@code failed EXCEPTION}, then
 * whether the {@link Authenticator} was asked.
 *
 * <p>Arguments: proxy port, URL, user, password. Trusts what {@code javax.net.ssl.trustStore} says.
 */
public final class JdkHttpsProbe {

    private JdkHttpsProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        boolean[] asked = {false};
        HttpClient client = HttpClient.newBuilder()
                .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0]))))
                .authenticator(new Authenticator() {
                    @Override
                    protected PasswordAuthentication getPasswordAuthentication() {
                        asked[0] = true;
                        return new PasswordAuthentication(args[2], args[3].toCharArray());
                    }
                })
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[1])).timeout(Duration.ofSeconds(20)).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            // The JDK hands over a tunnel's refusal without its body.
            String body = response.body() == null ? "" : " " + response.body().strip();
            System.out.println("status " + response.statusCode() + body);
        } catch (java.io.IOException e) {
            System.out.println("failed " + e);
        }
        System.out.println("authenticator asked: " + asked[0]);
    }
}

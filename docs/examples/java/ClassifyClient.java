// A bizroute service client in plain Java (11+), no libraries: POST a request file to
// /v1/classify and print the decision's status and category, or the problem on an error.
//
//   javac ClassifyClient.java
//   java ClassifyClient http://127.0.0.1:8000 ../request.json
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

public class ClassifyClient {
    public static void main(String[] args) throws Exception {
        String base = args.length > 0 ? args[0] : "http://127.0.0.1:8000";
        Path file = Path.of(args.length > 1 ? args[1] : "request.json");
        // one client for the whole program: it keeps connections alive. HTTP/1.1: the
        // default (HTTP/2) offers an h2c upgrade on http://, which the service refuses
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/classify?plan=true"))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json; charset=utf-8")
                .header("X-Request-ID", "java-client-1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(file)))
                .build();
        HttpResponse<String> response =
                client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        System.out.println("HTTP " + response.statusCode() + " "
                + response.headers().firstValue("content-type").orElse(""));
        // a real client parses the JSON (Jackson, Gson ...); the body is printed here as it is
        System.out.println(response.body());
        if (response.statusCode() != 200) {
            System.exit(1);  // a problem (RFC 9457): type, title, detail, field
        }
    }
}

package dev.manifold.broker.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.manifold.broker.session.OfflineBroker;
import io.opentelemetry.api.OpenTelemetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A keep-alive connection in the broker's pool that the other side closes just as the next request goes out (a
 * proxy-runner replica behind the Service that died, a server's idle timeout): the request is sent once more on a
 * new connection and the caller sees the answer. A backend that closes every connection without answering fails
 * after exactly two attempts, never more.
 */
class PooledConnectionRetryTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private OfflineBroker broker;
    private McpHttpClient http;
    private ClosingServer server;

    @BeforeEach
    void start() {
        broker = new OfflineBroker(Map.of());
        http = new McpHttpClient(broker.vertx, broker.mapper, broker.config, new HopTracing(OpenTelemetry.noop()),
                new dev.manifold.broker.credentials.BackendCredentials(() -> null, true));
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        broker.close();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPooledConnectionClosedBeforeTheAnswerIsSentAgainOnANewOne(boolean reset) throws Exception {
        server = new ClosingServer(1, reset); // answers the first request of each connection, closes on the second
        for (int id = 1; id <= 4; id++) {
            McpReply reply = http.post(server.url(), "s-1", "2025-06-18", ping(id), false, null)
                    .await().atMost(Duration.ofSeconds(20));
            assertEquals(id, reply.message().path("id").asInt(), "the answer to request " + id);
            assertEquals("pong", reply.message().path("result").path("echo").asText());
        }
        // Requests 2-4 each found the previous connection in the pool, saw it closed, and went again on a new one.
        assertTrue(server.closedUnanswered.get() >= 1, "the pooled connection was reused and closed at least once");
        assertEquals(4, server.answered.get(), "every request answered exactly once");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBackendThatClosesEveryConnectionFailsAfterOneMoreAttempt(boolean reset) throws Exception {
        server = new ClosingServer(0, reset); // never answers
        BackendException failure = assertThrows(BackendException.class,
                () -> http.post(server.url(), "s-1", "2025-06-18", ping(1), false, null)
                        .await().atMost(Duration.ofSeconds(20)));
        assertEquals(BackendException.Kind.UNREACHABLE, failure.kind(), failure.getMessage());
        assertEquals(2, server.received.get(), "the request went out twice: once pooled, once on a new connection");
    }

    private static JsonNode ping(int id) throws IOException {
        return MAPPER.readTree("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}");
    }

    /** An HTTP/1.1 server that answers the first {@code answerPerConnection} requests of a connection and closes it on the next. */
    private static final class ClosingServer implements AutoCloseable {
        final AtomicInteger received = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger closedUnanswered = new AtomicInteger();
        private final ServerSocket listener;
        private final int answerPerConnection;
        private final boolean reset;

        ClosingServer(int answerPerConnection, boolean reset) throws IOException {
            this.answerPerConnection = answerPerConnection;
            this.reset = reset;
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "closing-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String url() {
            return "http://127.0.0.1:" + listener.getLocalPort() + "/mcp";
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket socket = listener.accept();
                    Thread connection = new Thread(() -> serve(socket), "closing-server-conn");
                    connection.setDaemon(true);
                    connection.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                for (int served = 0; ; served++) {
                    byte[] body = readRequest(in);
                    if (body == null) {
                        return;
                    }
                    received.incrementAndGet();
                    if (served >= answerPerConnection) {
                        closedUnanswered.incrementAndGet();
                        if (reset) {
                            socket.setSoLinger(true, 0); // close() now sends a RST
                        }
                        return;
                    }
                    JsonNode request = MAPPER.readTree(body);
                    byte[] answer = ("{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":{\"echo\":\"pong\"}}")
                            .getBytes(StandardCharsets.UTF_8);
                    // Counted before it is written: the client may see the answer, and the test read the count,
                    // before this thread runs again.
                    answered.incrementAndGet();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + answer.length
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(answer);
                    out.flush();
                }
            } catch (IOException ended) {
                // the client went away
            }
        }

        /** The body of the next request on the connection, or null at its end. */
        private static byte[] readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                head.write(b);
                matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            int length = 0;
            for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return in.readNBytes(length);
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}

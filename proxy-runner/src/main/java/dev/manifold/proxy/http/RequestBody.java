package dev.manifold.proxy.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.contracts.JsonRpcErrors;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.jackson.DatabindCodec;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * A client's POST body, read up to {@code max-body-size}: refused from the declared Content-Length alone when it
 * can be, else counted as it arrives. A body that arrives in one chunk (the usual case) is used as it is: no
 * aggregate buffer, no copy.
 */
final class RequestBody implements Handler<Buffer> {
    private static final Logger LOG = Logger.getLogger(RequestBody.class);

    private final Exchange ex;
    private final long maxBody;
    private final Consumer<Buffer> then;
    private Buffer body;
    private boolean aggregated;
    private boolean tooLarge;

    private RequestBody(Exchange ex, long maxBody, Consumer<Buffer> then) {
        this.ex = ex;
        this.maxBody = maxBody;
        this.then = then;
    }

    /** A copy of Vert.x's mapper that refuses JSON nested deeper than {@code maxDepth}. */
    static com.fasterxml.jackson.databind.ObjectMapper mapper(int maxDepth) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = DatabindCodec.mapper().copy();
        mapper.getFactory().setStreamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                .maxNestingDepth(maxDepth).build());
        return mapper;
    }

    /**
     * The body as a JSON-RPC message (an object or an array), or {@code null} once {@code ex} is answered 400: not
     * JSON, not an object or array, or nested deeper than {@code maxDepth} ({@code json}'s limit).
     */
    static JsonNode message(Exchange ex, Buffer body, com.fasterxml.jackson.databind.ObjectMapper json, int maxDepth) {
        JsonNode message = null;
        try {
            message = body == null || body.length() == 0 ? null : json.readTree(body.getBytes());
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            ex.error(400, null, JsonRpcErrors.PARSE_ERROR, "Parse error: the body nests deeper than " + maxDepth
                    + " levels (max-json-depth)", ProxyOutcome.BAD_REQUEST);
            return null;
        } catch (IOException e) {
            // not JSON: answered below
        }
        if (message == null || !(message.isObject() || message.isArray())) {
            ex.error(400, null, JsonRpcErrors.PARSE_ERROR,
                    "Parse error: the body must be a JSON-RPC message (a JSON object or array)", ProxyOutcome.BAD_REQUEST);
            return null;
        }
        return message;
    }

    /** The body as a JSON tree, or {@code null} when it is empty or not JSON. */
    static JsonNode parse(Buffer body) {
        if (body == null || body.length() == 0) {
            return null;
        }
        try {
            return DatabindCodec.mapper().readTree(body.getBytes());
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads the body of {@code ex}'s request and hands it to {@code then}; answers 413 itself past {@code maxBody}. */
    static void read(Exchange ex, long maxBody, Consumer<Buffer> then) {
        RequestBody reader = new RequestBody(ex, maxBody, then);
        HttpServerRequest req = ex.req;
        req.handler(reader);
        req.exceptionHandler(t -> LOG.debugf("Client request failed while reading: %s", t));
        req.endHandler(v -> {
            if (!reader.tooLarge) {
                then.accept(reader.body == null ? Buffer.buffer() : reader.body);
            }
        });
        req.resume();
    }

    @Override
    public void handle(Buffer chunk) {
        if (tooLarge) {
            return;
        }
        int had = body == null ? 0 : body.length();
        if ((long) had + chunk.length() > maxBody) {
            tooLarge = true;
            ex.tooLarge("Request body exceeds the limit of " + maxBody + " bytes");
            return;
        }
        if (body == null) {
            body = chunk; // the server hands each chunk over as its own heap buffer: safe to keep
        } else {
            if (!aggregated) {
                body = Buffer.buffer(Math.max(256, had * 2)).appendBuffer(body);
                aggregated = true;
            }
            body.appendBuffer(chunk);
        }
    }

    /** Answers 400 or 413 from the declared Content-Length alone; false when the body may be read. */
    static boolean tooLarge(Exchange ex, long maxBody) {
        String length = ex.req.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return false;
        }
        long declared;
        try {
            declared = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            declared = -1;
        }
        if (declared < 0) {
            ex.error(400, null, JsonRpcErrors.INVALID_REQUEST, "Invalid Content-Length", ProxyOutcome.BAD_REQUEST);
            return true;
        }
        if (declared > maxBody) {
            ex.tooLarge("Request body of " + declared + " bytes exceeds the limit of " + maxBody + " bytes");
            return true;
        }
        return false;
    }

    static boolean looksLikeJson(Buffer body) {
        for (int i = 0; i < body.length(); i++) {
            byte b = body.getByte(i);
            if (b == '{' || b == '[') {
                return true;
            }
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return false;
    }}

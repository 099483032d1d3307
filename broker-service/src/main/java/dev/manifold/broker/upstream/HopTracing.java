package dev.manifold.broker.upstream;

import dev.manifold.runtime.JsonRpcMessage;
import com.fasterxml.jackson.databind.JsonNode;
import dev.manifold.contracts.Telemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.vertx.core.http.RequestOptions;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URI;

/**
 * One CLIENT span per message the broker sends to a backend on behalf of a client request, named and attributed
 * as the OpenTelemetry MCP conventions say ({@code tools/call echo}, {@code mcp.method.name}, {@code
 * gen_ai.tool.name}), with the W3C {@code traceparent} of that span sent in the request's headers so that the
 * proxy-runner and the backend continue the same trace.
 *
 * <p>Only a message sent while a client request's span is current is traced: health probes, discovery and the
 * connect loop start no trace of their own, so an idle gateway exports nothing. With tracing off (the default,
 * {@code quarkus.otel.sdk.disabled=true}) there is never a current span and this costs one lookup per message.
 * The broker's HTTP clients use {@code TracingPolicy.IGNORE}, so Vert.x adds no second span or header of its own.
 */
@ApplicationScoped
public class HopTracing {

    private static final TextMapSetter<RequestOptions> HEADERS = (options, key, value) -> {
        if (options != null) {
            options.putHeader(key, value);
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    public HopTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("dev.manifold.broker");
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    }

    /** A started span; {@link #end} ends it once. */
    public static final class Hop {
        private final Span span;

        private Hop(Span span) {
            this.span = span;
        }

        /** Ends the span with the backend's answer or the exchange's failure. */
        public void end(McpReply reply, Throwable failure) {
            if (failure != null) {
                span.setStatus(StatusCode.ERROR, failure.getMessage());
                span.setAttribute("error.type", failure instanceof BackendException be
                        ? be.kind().name().toLowerCase(java.util.Locale.ROOT) : failure.getClass().getName());
            } else if (reply != null && reply.message() != null) {
                JsonNode error = reply.message().get("error");
                if (error != null) {
                    span.setStatus(StatusCode.ERROR, error.path("message").asText(""));
                    span.setAttribute("error.type", error.path("code").asText("error"));
                } else if (reply.message().path("result").path("isError").asBoolean(false)) {
                    span.setAttribute("error.type", "tool_error");
                }
            }
            span.end();
        }

        /** Ends the span of an exchange its caller gave up on (a time-box, a cancelled client request). */
        public void cancelled() {
            span.setStatus(StatusCode.ERROR, "cancelled");
            span.setAttribute("error.type", "cancelled");
            span.end();
        }
    }

    /**
     * Starts the span of one message to {@code url} and puts its {@code traceparent} into {@code options};
     * {@code null} (and no header) when no client request is being traced.
     */
    public Hop start(String url, JsonNode message, RequestOptions options) {
        Context parent = Context.current();
        if (!Span.fromContext(parent).getSpanContext().isValid()) {
            return null;
        }
        JsonRpcMessage rpc = JsonRpcMessage.of(message).orElse(null);
        String method = rpc == null ? null : rpc.method();
        String target = null;
        if ("tools/call".equals(method) || "prompts/get".equals(method)) {
            target = message.path("params").path("name").asText(null);
        }
        String name = method == null ? "response" : target == null ? method : method + " " + target;
        var builder = tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.CLIENT);
        if (method != null) {
            builder.setAttribute(Telemetry.ATTR_METHOD, method);
        }
        if (target != null) {
            builder.setAttribute("tools/call".equals(method) ? Telemetry.ATTR_TOOL : Telemetry.ATTR_PROMPT, target);
        }
        JsonNode id = rpc == null ? null : rpc.id();
        if (id != null && !id.isNull()) {
            builder.setAttribute(Telemetry.ATTR_REQUEST_ID, id.asText());
        }
        try {
            URI uri = URI.create(url);
            if (uri.getHost() != null) {
                builder.setAttribute("server.address", uri.getHost());
                builder.setAttribute("server.port", (long) (uri.getPort() > 0 ? uri.getPort()
                        : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80));
            }
        } catch (IllegalArgumentException ignored) {
            // a backend URL is validated when the config is read; a span without an address is still a span
        }
        Span span = builder.startSpan();
        propagator.inject(parent.with(span), options, HEADERS);
        return new Hop(span);
    }
}

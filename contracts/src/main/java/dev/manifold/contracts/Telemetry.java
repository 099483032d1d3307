package dev.manifold.contracts;

/**
 * The names the services give to what they log and trace, so that a log query or a trace search written for one
 * service works for the others.
 *
 * <p>Span attributes follow the OpenTelemetry semantic conventions for MCP where one exists ({@code mcp.*},
 * {@code gen_ai.*}, {@code jsonrpc.*}); what is Manifold's own is under {@code manifold.*}. No attribute carries a
 * session id: without authentication a session id is a bearer credential, and traces are read by more people than
 * the gateway's clients.
 */
public final class Telemetry {

    /** MDC key: the client's MCP session id, on every log line written while serving a request of that session. */
    public static final String MDC_SESSION_ID = "sessionId";
    /** MDC key: the server id ({@code namespace/name} in a cluster, the entry's name standalone) a line is about. */
    public static final String MDC_SERVER_ID = "serverId";

    /** The JSON-RPC method, e.g. {@code tools/call}. */
    public static final String ATTR_METHOD = "mcp.method.name";
    /** The tool a {@code tools/call} names, as the backend knows it. */
    public static final String ATTR_TOOL = "gen_ai.tool.name";
    /** The prompt a {@code prompts/get} names, as the backend knows it. */
    public static final String ATTR_PROMPT = "gen_ai.prompt.name";
    /** The JSON-RPC request id sent on the hop. */
    public static final String ATTR_REQUEST_ID = "jsonrpc.request.id";
    /** The Manifold server id the request was routed to. */
    public static final String ATTR_SERVER = "manifold.server";
    /** The pod a proxy-runner pinned the session to. */
    public static final String ATTR_POD = "manifold.pod";

    private Telemetry() {
    }
}

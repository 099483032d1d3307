package dev.manifold.broker.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.manifold.broker.upstream.Backend;
import dev.manifold.broker.upstream.BackendState;
import dev.manifold.broker.upstream.BackendSupervisor;
import jakarta.enterprise.context.ApplicationScoped;

/** What the aggregate can serve right now, as {@code initialize} and {@code server/discover} advertise it. */
@ApplicationScoped
public class Capabilities {
    private final ObjectMapper mapper;
    private final BackendSupervisor supervisor;

    public Capabilities(ObjectMapper mapper, BackendSupervisor supervisor) {
        this.mapper = mapper;
        this.supervisor = supervisor;
    }

    /**
     * What the aggregate can serve: tools always (the set may change, so listChanged); prompts, resources (with
     * subscribe when a backend offers it), completions and logging only when a connected backend offers them.
     */
    public ObjectNode advertised() {
        ObjectNode caps = mapper.createObjectNode();
        caps.putObject("tools").put("listChanged", true);
        boolean prompts = false;
        boolean resources = false;
        boolean subscribe = false;
        boolean completions = false;
        boolean logging = false;
        for (Backend backend : supervisor.all()) {
            if (!backend.entry().isEnabled() || backend.state() != BackendState.READY) {
                continue;
            }
            prompts |= backend.offers("prompts");
            resources |= backend.offers("resources");
            subscribe |= backend.capabilities().path("resources").path("subscribe").asBoolean(false);
            completions |= backend.offers("completions");
            logging |= backend.offers("logging");
        }
        if (prompts) {
            caps.putObject("prompts").put("listChanged", true);
        }
        if (resources) {
            ObjectNode r = caps.putObject("resources");
            r.put("listChanged", true);
            if (subscribe) {
                r.put("subscribe", true);
            }
        }
        if (completions) {
            caps.putObject("completions");
        }
        if (logging) {
            caps.putObject("logging");
        }
        return caps;
    }
}

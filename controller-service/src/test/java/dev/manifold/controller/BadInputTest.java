package dev.manifold.controller;

import dev.manifold.contracts.CredentialRef;

import dev.manifold.contracts.GatewayConfig;
import dev.manifold.controller.api.v1alpha1.MCPServer;
import dev.manifold.controller.api.v1alpha1.MCPServerStatus;
import dev.manifold.controller.config.ControllerConfig;
import dev.manifold.controller.api.v1alpha1.ConditionReasons;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Specs the API server may let through (the mock server does not validate): each gets a clear Accepted=False
 * message, is never published, and the operator keeps serving other servers.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(UniqueRedisPrefix.class)
class BadInputTest {

    private static final String NS = "badinput";

    @KubernetesTestServer
    KubernetesServer server;
    @Inject
    ControllerConfig config;
    @Inject
    RedisDataSource redis;

    @Test
    void badSpecsGetAClearMessageAreNeverPublishedAndDoNotStopTheOperator() {
        KubernetesClient client = server.getClient();
        client.resource(McpServers.named(NS, "both").prefix("both_").url("http://both.example/mcp")
                .workload("ghcr.io/example/mcp:1").build()).create();
        client.resource(Fixtures.urlServer(NS, "bad-prefix", "Bad-Prefix!", "http://bad.example/mcp")).create();
        client.resource(Fixtures.urlServer(NS, "no-prefix", null, "http://noprefix.example/mcp")).create();
        client.resource(Fixtures.routeServer(NS, "no-target", "missing_", "no-such-route")).create();
        client.resource(Fixtures.urlServer(NS, "bad-url", "badurl_", "ftp://files.example/mcp")).create();
        client.resource(McpServers.named(NS, "bad-header").prefix("badheader_").url("http://header.example/mcp")
                .credential("tokens", "token", "Content-Length").build()).create();
        client.resource(McpServers.named(NS, "both-auth").prefix("bothauth_").url("http://auth.example/mcp")
                .authPassthrough().tokenExchange("https://sts.example/token", null).build()).create();
        client.resource(McpServers.named(NS, "workload-auth").prefix("wlauth_").workload("ghcr.io/example/mcp:1")
                .authPassthrough().build()).create();
        client.resource(McpServers.named(NS, "bad-scope").prefix("badscope_").url("http://scope.example/mcp")
                .tokenExchange("https://sts.example/token", null, "tools read").build()).create();

        assertRejected(client, "both", ConditionReasons.INVALID_SPEC,
                "exactly one of spec.targetRef, spec.url or spec.workload must be set, found 2");
        assertRejected(client, "bad-prefix", ConditionReasons.INVALID_SPEC,
                "spec.toolPrefix 'Bad-Prefix!' must match ^[a-z0-9][a-z0-9_]*$");
        assertRejected(client, "no-prefix", ConditionReasons.INVALID_SPEC,
                "spec.toolPrefix is required because the gateway's prefixMode is always");
        assertRejected(client, "no-target", "TargetNotFound", "HTTPRoute badinput/no-such-route does not exist");
        assertRejected(client, "bad-url", ConditionReasons.INVALID_SPEC, "must be an http or https URL");
        assertRejected(client, "bad-header", ConditionReasons.INVALID_SPEC,
                "spec.credentialRef.header: 'Content-Length' is set by the broker itself");
        assertRejected(client, "both-auth", ConditionReasons.INVALID_SPEC,
                "spec.authPassthrough: cannot be combined with tokenExchange");
        assertRejected(client, "workload-auth", ConditionReasons.INVALID_SPEC,
                "spec.authPassthrough: is not supported for a workload server");
        assertRejected(client, "bad-scope", ConditionReasons.INVALID_SPEC,
                "spec.tokenExchange.scopes: 'tools read' is not an OAuth scope");

        // The operator still works: a good server next to them is published, with its credential reference and header
        // (what the broker reads), and the bad ones are not.
        client.resource(McpServers.named(NS, "good").prefix("good_").url("http://good.example/mcp")
                .credential("good-token", "token", "X-Api-Key").build()).create();
        // ...and the client-token settings the broker acts on (ClientTokensTest, SystemIT) are published as written
        client.resource(McpServers.named(NS, "pass").prefix("pass_").url("http://pass.example/mcp")
                .authPassthrough().build()).create();
        client.resource(McpServers.named(NS, "xchg").prefix("xchg_").url("http://xchg.example/mcp")
                .tokenExchange("https://sts.example/token", "api://xchg", "tools.write", "tools.read").build()).create();
        GatewayConfig published = await().atMost(Duration.ofSeconds(30))
                .until(() -> Fixtures.publishedConfig(redis, config.redisPrefix()).orElse(null),
                        c -> c != null && c.server(NS + "/good").isPresent() && c.server(NS + "/pass").isPresent()
                                && c.server(NS + "/xchg").isPresent());
        assertEquals(new CredentialRef(NS, "good-token", "token", "X-Api-Key"),
                published.server(NS + "/good").orElseThrow().credentialRef());
        assertNull(published.server(NS + "/good").orElseThrow().authPassthrough(), "off unless asked for");
        assertEquals(Boolean.TRUE, published.server(NS + "/pass").orElseThrow().authPassthrough());
        assertEquals(new dev.manifold.contracts.TokenExchange("https://sts.example/token", "api://xchg",
                        java.util.List.of("tools.read", "tools.write")),
                published.server(NS + "/xchg").orElseThrow().tokenExchange());
        for (String name : new String[] {"both", "bad-prefix", "no-prefix", "no-target", "bad-url", "bad-header",
                "both-auth", "workload-auth", "bad-scope"}) {
            assertTrue(published.server(NS + "/" + name).isEmpty(), name + " must not be published");
        }
        assertNull(client.resources(StatefulSet.class).inNamespace(NS).withName("both").get(),
                "an invalid workload spec must not start pods");

        // Creating the missing target makes the server acceptable without touching the MCPServer.
        Fixtures.routeToService(client, NS, "no-such-route", "late-backend", 8000);
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.accepted(client, NS, "no-target"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.publishedConfig(redis, config.redisPrefix())
                .flatMap(c -> c.server(NS + "/no-target")).map(e -> e.url())
                .filter("http://late-backend.badinput.svc.cluster.local:8000/mcp"::equals).isPresent());
    }

    private void assertRejected(KubernetesClient client, String name, String reason, String messagePart) {
        MCPServer judged = await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.get(client, NS, name),
                s -> s != null && s.getStatus() != null && s.getStatus().condition(MCPServerStatus.ACCEPTED).isPresent());
        McpServerAssert.assertThat(judged).isRejected(reason, messagePart);
    }
}

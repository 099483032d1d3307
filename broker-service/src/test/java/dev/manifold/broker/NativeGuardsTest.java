package dev.manifold.broker;

import dev.manifold.broker.settings.BrokerConfig;
import dev.manifold.broker.session.ClientSessions;
import dev.manifold.contracts.nativeguard.NativeImageGuards;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static java.util.Map.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Native-image rules checked on the broker's compiled main classes, without GraalVM (docs/build.md, "Native").
 * The Caffeine registrations themselves are checked in {@code session.ClientSessionsNativeTest} and
 * {@code credentials.BackendCredentialsTest}.
 */
class NativeGuardsTest {

    /**
     * Records that are never bound by Jackson, with the reason; every other record must be registered. The broker
     * handles everything on the wire as Jackson trees (ObjectNode), and SessionRecordCodec writes its Redis record
     * field by field.
     */
    private static final Map<String, String> NOT_JACKSON_BOUND = Map.ofEntries(
            entry("dev.manifold.broker.catalog.FeatureCatalog$Hidden", "catalog bookkeeping"),
            entry("dev.manifold.broker.catalog.FeatureCatalog$Route", "catalog entry; its definition is a tree"),
            entry("dev.manifold.broker.catalog.FeatureCatalog$Source", "catalog input"),
            entry("dev.manifold.broker.catalog.ToolIndex$Candidate", "incremental catalog bookkeeping"),
            entry("dev.manifold.broker.catalog.ToolIndex$Contribution", "incremental catalog bookkeeping"),
            entry("dev.manifold.broker.gateway.StandaloneConfigSource$Snapshot", "size, time and hash of the config file"),
            entry("dev.manifold.broker.catalog.FeatureCatalog$Target", "catalog lookup result"),
            entry("dev.manifold.broker.catalog.FeatureCatalog$TemplateMatcher", "a compiled pattern"),
            entry("dev.manifold.broker.catalog.ToolCatalog$Dropped", "logged and counted, never serialized"),
            entry("dev.manifold.broker.catalog.ToolCatalog$Source", "catalog input"),
            entry("dev.manifold.broker.catalog.ToolRoute", "catalog entry; its definition is a tree"),
            entry("dev.manifold.broker.upstream.McpClient$Discovery", "lists of trees, in memory"),
            entry("dev.manifold.broker.upstream.McpClient$InitializedSession", "read from a tree by hand"),
            entry("dev.manifold.broker.upstream.McpReply", "an HTTP answer in flight; its message is a tree"),
            entry("dev.manifold.broker.gateway.ConfigApplier$Outcome", "logged and counted"),
            entry("dev.manifold.broker.relay.ServerRequestIds$Decoded", "decoded from base64url by hand"),
            entry("dev.manifold.broker.session.ClientSession$BackendSession", "SessionRecordCodec writes it by hand"),
            entry("dev.manifold.broker.session.ClientSession$InFlight", "in memory"),
            entry("dev.manifold.broker.session.ClientSession$PendingServerRequest", "in memory"),
            entry("dev.manifold.broker.session.EventStream$Event", "already-encoded SSE bytes"),
            entry("dev.manifold.broker.credentials.BackendCredentials$Binding", "in memory"),
            entry("dev.manifold.broker.credentials.Credential", "a header, in memory; never serialized"),
            entry("dev.manifold.broker.credentials.CredentialSource", "built from the file's Credential bean"),
            entry("dev.manifold.broker.credentials.CredentialSource$EnvVar", "built from the file's Credential bean"),
            entry("dev.manifold.broker.credentials.CredentialSource$File", "built from the file's Credential bean"),
            entry("dev.manifold.broker.credentials.CredentialSource$SecretKey", "built from the published CredentialRef"),
            entry("dev.manifold.broker.credentials.Resolution$Missing", "in memory"),
            entry("dev.manifold.broker.credentials.Resolution$None", "in memory"),
            entry("dev.manifold.broker.credentials.Resolution$Ready", "in memory"),
            entry("dev.manifold.broker.credentials.SecretWatch$Read", "in memory"),
            entry("dev.manifold.broker.gateway.StandaloneConfigFile$Parsed", "the parse result, in memory"),
            entry("dev.manifold.broker.credentials.ClientToken", "in memory, never serialized"),
            entry("dev.manifold.broker.credentials.ClientTokens$Passthrough", "in memory"),
            entry("dev.manifold.broker.credentials.ClientTokens$Exchange", "in memory"),
            entry("dev.manifold.broker.credentials.ClientTokens$Refused", "in memory"),
            entry("dev.manifold.broker.credentials.ClientTokens$Plain", "in memory"),
            entry("dev.manifold.broker.credentials.ClientTokens$Key", "a cache key, in memory"),
            entry("dev.manifold.broker.credentials.ClientTokens$Exchanged", "a cache value, in memory"));

    @Test
    void noMainClassHoldsARandomGeneratorStatically() {
        NativeImageGuards.assertNoStaticRandom(BrokerConfig.class, Set.of());
    }

    @Test
    void everyTypeTokenIsRegisteredForReflection() {
        NativeImageGuards.assertTypeTokensRegistered(BrokerConfig.class);
    }

    @Test
    void everyTypeJacksonBindsIsRegisteredForReflection() {
        NativeImageGuards.assertJacksonTypesRegistered(BrokerConfig.class, NOT_JACKSON_BOUND);
    }

    @Test
    void everyClassThatBuildsACaffeineCacheHasItsRegistrationChecked() {
        assertEquals(Set.of(ClientSessions.class.getName(), "dev.manifold.broker.credentials.BackendCredentials",
                        "dev.manifold.broker.credentials.ClientTokens"),
                NativeImageGuards.classesReferencing(BrokerConfig.class, "com/github/benmanes/caffeine/cache/Caffeine"),
                "a new Caffeine builder needs @RegisterForReflection(classNames = ...) for its generated classes "
                        + "and a check like session.ClientSessionsNativeTest");
    }
}

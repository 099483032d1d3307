package dev.manifold.broker.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.GatewayConfig;
import dev.manifold.contracts.GatewayConfigCodec;
import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.contracts.ToolFilter;

import java.util.List;

/**
 * The standalone YAML file, read strictly: unknown fields, duplicate names and invalid values are rejected with
 * the field path, line and column. The broker only ever reads this file.
 *
 * <pre>
 * prefixMode: always        # always | never | conditional
 * servers:
 *   - name: weather
 *     url: http://127.0.0.1:3001/mcp
 *     toolPrefix: weather_
 *     enabled: true
 *     toolFilter: { include: ["get_*"], exclude: ["get_secret"] }
 * </pre>
 */
public final class StandaloneConfigFile {

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private StandaloneConfigFile() {
    }

    /** Parses the file's bytes into a canonical config; throws {@link ConfigValidationException} on bad input. */
    public static GatewayConfig parse(byte[] yaml) {
        if (yaml.length == 0) {
            throw new ConfigValidationException("", "the file is empty");
        }
        Document doc = GatewayConfigCodec.read(YAML, yaml, Document.class);
        if (doc == null) {
            throw new ConfigValidationException("", "the file holds no document");
        }
        List<ServerEntry> entries = doc.servers == null ? List.of()
                : doc.servers.stream().map(s -> s.entry).toList();
        return GatewayConfigCodec.build(doc.prefixMode, entries);
    }

    /** Top level of the file. */
    static final class Document {
        final PrefixMode prefixMode;
        final List<Server> servers;

        @JsonCreator
        Document(@JsonProperty("prefixMode") PrefixMode prefixMode, @JsonProperty("servers") List<Server> servers) {
            this.prefixMode = prefixMode;
            this.servers = servers;
        }
    }

    /** One server entry as users write it ({@code name} is the server id). */
    static final class Server {
        final ServerEntry entry;

        @JsonCreator
        Server(@JsonProperty("name") String name,
               @JsonProperty("url") String url,
               @JsonProperty("toolPrefix") String toolPrefix,
               @JsonProperty("enabled") Boolean enabled,
               @JsonProperty("toolFilter") ToolFilter toolFilter,
               @JsonProperty("credentialRef") CredentialRef credentialRef,
               @JsonProperty("protocolHint") String protocolHint) {
            try {
                this.entry = new ServerEntry(name, toolPrefix, url, enabled, toolFilter, credentialRef, protocolHint, null);
            } catch (ConfigValidationException e) {
                if ("id".equals(e.field())) {
                    throw new ConfigValidationException("name", e.getMessage().substring("id: ".length()));
                }
                throw e;
            }
        }
    }
}

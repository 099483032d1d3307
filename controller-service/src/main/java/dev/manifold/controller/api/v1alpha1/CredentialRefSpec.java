package dev.manifold.controller.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.manifold.contracts.CredentialRef;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** A key of a Secret in the MCPServer's namespace. Only the reference is ever published, never the value. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public class CredentialRefSpec {

    @JsonPropertyDescription("Secret name.")
    @Required
    private String name;

    @JsonPropertyDescription("Key inside the Secret.")
    @Required
    private String key;

    @JsonPropertyDescription("Header the broker sends the value in. Unset: 'Authorization: Bearer <value>'. Set: "
            + "'<header>: <value>', the value as it is (for example X-Api-Key).")
    @Pattern(CredentialRef.HEADER_PATTERN)
    private String header;

    public String getHeader() {
        return header;
    }

    public void setHeader(String header) {
        this.header = header;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }
}

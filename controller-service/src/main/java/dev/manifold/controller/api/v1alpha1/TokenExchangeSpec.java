package dev.manifold.controller.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.manifold.contracts.TokenExchange;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/**
 * An RFC 8693 token exchange the broker performs for each caller before a request reaches this server. The broker's
 * own client id and secret are broker settings ({@code manifold.broker.token-exchange.*}), never part of the CRD.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public class TokenExchangeSpec {

    @JsonPropertyDescription("The authorization server's token endpoint (http or https URL).")
    @Required
    @Pattern("^https?://.+")
    private String tokenEndpoint;

    @JsonPropertyDescription("The audience to ask for. Unset: the server's URL.")
    @Size(max = 2048)
    private String audience;

    @JsonPropertyDescription("The scopes to ask for.")
    @Size(max = TokenExchange.MAX_SCOPES)
    private List<String> scopes;

    public String getTokenEndpoint() {
        return tokenEndpoint;
    }

    public void setTokenEndpoint(String tokenEndpoint) {
        this.tokenEndpoint = tokenEndpoint;
    }

    public String getAudience() {
        return audience;
    }

    public void setAudience(String audience) {
        this.audience = audience;
    }

    public List<String> getScopes() {
        return scopes;
    }

    public void setScopes(List<String> scopes) {
        this.scopes = scopes;
    }
}

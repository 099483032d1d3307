package dev.manifold.controller.validation;

import dev.manifold.contracts.ConfigValidationException;
import dev.manifold.contracts.CredentialRef;
import dev.manifold.contracts.TokenExchange;
import dev.manifold.controller.api.v1alpha1.TokenExchangeSpec;

import dev.manifold.contracts.PrefixMode;
import dev.manifold.contracts.ServerEntry;
import dev.manifold.controller.api.v1alpha1.MCPServerSpec;
import dev.manifold.controller.api.v1alpha1.TargetRef;
import dev.manifold.controller.api.v1alpha1.WorkloadSpec;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks the CRD schema also makes, repeated here because an API server may not enforce them (older
 * clusters, the mock server) and a bad spec must never be published. Pure: depends on the spec only.
 */
public final class SpecValidation {

    /** Environment variable names of a workload container (the CRD schema's pattern). */
    private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
    private static final String GATEWAY_GROUP = "gateway.networking.k8s.io";

    private SpecValidation() {
    }

    /** Every problem with the spec, as readable sentences naming the field; empty when valid. */
    public static List<String> problems(MCPServerSpec spec, PrefixMode mode) {
        List<String> problems = new ArrayList<>();
        if (spec == null) {
            problems.add("spec is missing");
            return problems;
        }
        int ways = (spec.getTargetRef() != null ? 1 : 0) + (spec.getUrl() != null ? 1 : 0)
                + (spec.getWorkload() != null ? 1 : 0);
        if (ways != 1) {
            problems.add("exactly one of spec.targetRef, spec.url or spec.workload must be set, found " + ways);
        }
        String prefix = spec.getToolPrefix();
        if (prefix == null || prefix.isEmpty()) {
            if (mode == PrefixMode.ALWAYS) {
                problems.add("spec.toolPrefix is required because the gateway's prefixMode is always");
            }
        } else if (!ServerEntry.validPrefix(prefix)) {
            problems.add("spec.toolPrefix '" + prefix + "' " + ServerEntry.PREFIX_RULE);
        }
        if (spec.getUrl() != null) {
            urlProblem(spec.getUrl()).ifPresent(problems::add);
        }
        if (spec.getTargetRef() != null) {
            problems.addAll(targetProblems(spec.getTargetRef()));
        }
        if (spec.getWorkload() != null) {
            problems.addAll(workloadProblems(spec.getWorkload()));
        }
        if (spec.getCredentialRef() != null) {
            if (blank(spec.getCredentialRef().getName())) {
                problems.add("spec.credentialRef.name must be set");
            }
            if (blank(spec.getCredentialRef().getKey())) {
                problems.add("spec.credentialRef.key must be set");
            }
            try {
                CredentialRef.checkHeader("spec.credentialRef.header", spec.getCredentialRef().getHeader());
            } catch (ConfigValidationException e) {
                problems.add(e.getMessage());
            }
        }
        problems.addAll(clientAuthProblems(spec));
        if (spec.getToolFilter() != null) {
            for (List<String> globs : new ArrayList<>(java.util.Arrays.asList(spec.getToolFilter().getInclude(),
                    spec.getToolFilter().getExclude()))) {
                if (globs != null && globs.stream().anyMatch(SpecValidation::blank)) {
                    problems.add("spec.toolFilter globs must not be empty");
                    break;
                }
            }
        }
        return problems;
    }

    /** authPassthrough and tokenExchange: the contracts' rules, with each problem named by its spec field. */
    private static List<String> clientAuthProblems(MCPServerSpec spec) {
        List<String> problems = new ArrayList<>();
        boolean passthrough = Boolean.TRUE.equals(spec.getAuthPassthrough());
        try {
            ServerEntry.checkClientAuth(passthrough, spec.getTokenExchange() != null, spec.getWorkload() != null);
        } catch (ConfigValidationException e) {
            problems.add("spec." + e.getMessage());
        }
        TokenExchangeSpec exchange = spec.getTokenExchange();
        if (exchange != null) {
            try {
                new TokenExchange(exchange.getTokenEndpoint(), exchange.getAudience(), exchange.getScopes());
            } catch (ConfigValidationException e) {
                problems.add("spec.tokenExchange." + e.getMessage());
            }
        }
        return problems;
    }

    /** Whether a workload spec can be turned into a StatefulSet (used to activate the workload dependents). */
    public static boolean isRunnableWorkload(MCPServerSpec spec) {
        return spec != null && spec.getWorkload() != null && spec.getUrl() == null && spec.getTargetRef() == null
                && workloadProblems(spec.getWorkload()).isEmpty();
    }

    private static Optional<String> urlProblem(String url) {
        try {
            URI uri = new URI(url);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                return Optional.of("spec.url '" + url + "' must be an http or https URL");
            }
            if (uri.getHost() == null || uri.getHost().isBlank()) {
                return Optional.of("spec.url '" + url + "' has no host");
            }
            return Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.of("spec.url '" + url + "' is not a valid URL: " + e.getReason());
        }
    }

    private static List<String> targetProblems(TargetRef ref) {
        List<String> problems = new ArrayList<>();
        if (!TargetRef.HTTP_ROUTE.equals(ref.getKind()) && !TargetRef.SERVICE.equals(ref.getKind())) {
            problems.add("spec.targetRef.kind must be HTTPRoute or Service, was '" + ref.getKind() + "'");
        } else if (TargetRef.HTTP_ROUTE.equals(ref.getKind()) && !blank(ref.getGroup())
                && !GATEWAY_GROUP.equals(ref.getGroup())) {
            problems.add("spec.targetRef.group of an HTTPRoute must be " + GATEWAY_GROUP + ", was '" + ref.getGroup() + "'");
        } else if (TargetRef.SERVICE.equals(ref.getKind()) && !blank(ref.getGroup())) {
            problems.add("spec.targetRef.group of a Service must be empty, was '" + ref.getGroup() + "'");
        }
        if (blank(ref.getName())) {
            problems.add("spec.targetRef.name must be set");
        }
        if (ref.getPort() != null && (ref.getPort() < 1 || ref.getPort() > 65535)) {
            problems.add("spec.targetRef.port must be between 1 and 65535, was " + ref.getPort());
        }
        if (ref.getPath() != null && !ref.getPath().startsWith("/")) {
            problems.add("spec.targetRef.path must start with '/', was '" + ref.getPath() + "'");
        }
        return problems;
    }

    private static List<String> workloadProblems(WorkloadSpec w) {
        List<String> problems = new ArrayList<>();
        if (blank(w.getImage())) {
            problems.add("spec.workload.image must be set");
        }
        if (w.getPort() != null && (w.getPort() < 1 || w.getPort() > 65535)) {
            problems.add("spec.workload.port must be between 1 and 65535, was " + w.getPort());
        }
        if (w.getReplicas() != null && w.getReplicas() < 0) {
            problems.add("spec.workload.replicas must not be negative, was " + w.getReplicas());
        }
        if (w.getPath() != null && !w.getPath().startsWith("/")) {
            problems.add("spec.workload.path must start with '/', was '" + w.getPath() + "'");
        }
        if (w.getEnv() != null) {
            Set<String> names = new HashSet<>();
            for (WorkloadSpec.EnvEntry e : w.getEnv()) {
                if (e == null || e.getName() == null || !ENV_NAME.matcher(e.getName()).matches()) {
                    problems.add("spec.workload.env names must match " + ENV_NAME.pattern());
                } else if (!names.add(e.getName())) {
                    problems.add("spec.workload.env has '" + e.getName() + "' twice");
                }
            }
        }
        return problems;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}

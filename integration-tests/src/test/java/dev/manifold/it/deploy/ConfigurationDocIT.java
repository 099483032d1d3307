package dev.manifold.it.deploy;

import dev.manifold.it.support.ItEnvironment;
import org.junit.jupiter.api.Test;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * docs/configuration.md lists every key of every service: each {@code @ConfigMapping} key (read from the packaged
 * classes: names, nesting, {@code @WithDefault}), with the Javadoc of its method in the source as the description,
 * plus the Quarkus keys the manifests or the READMEs tell operators to set. The test fails when the file differs
 * from what the code says; {@code -Dmanifold.docs.regenerate=true} rewrites it.
 */
class ConfigurationDocIT {

    record Service(String title, String module, String mappingClass, String sourcePath) {
    }

    static final List<Service> SERVICES = List.of(
            new Service("broker-service", "broker-service", "dev.manifold.broker.settings.BrokerConfig",
                    "broker-service/src/main/java/dev/manifold/broker/settings/BrokerConfig.java"),
            new Service("controller-service", "controller-service", "dev.manifold.controller.config.ControllerConfig",
                    "controller-service/src/main/java/dev/manifold/controller/config/ControllerConfig.java"),
            new Service("proxy-runner", "proxy-runner", "dev.manifold.proxy.ProxyConfig",
                    "proxy-runner/src/main/java/dev/manifold/proxy/ProxyConfig.java"));

    /** The Quarkus keys an operator sets, per service (key, default, description). */
    static final List<String[]> QUARKUS_KEYS = List.of(
            new String[] {"all", "quarkus.redis.hosts", "redis://127.0.0.1:6379", "Redis URL (deploy/ sets redis://manifold-redis:6379)."},
            new String[] {"all", "quarkus.redis.password", "", "Redis password (deploy/overlays/external-redis reads it from a Secret)."},
            new String[] {"all", "quarkus.http.port", "8080", "HTTP port of the service (MCP, health, metrics)."},
            new String[] {"all", "quarkus.log.console.json.enabled", "false",
                    "One JSON object per log line, with the MDC (sessionId, serverId) as the `mdc` field (deploy/ sets true)."},
            new String[] {"broker-service", "quarkus.otel.sdk.disabled", "true",
                    "Tracing off; false turns on OpenTelemetry traces of client requests (docs/operations.md, Tracing)."},
            new String[] {"broker-service", "quarkus.otel.exporter.otlp.endpoint", "http://localhost:4317",
                    "OTLP (gRPC) endpoint the spans are exported to, when tracing is on."},
            new String[] {"proxy-runner", "quarkus.otel.sdk.disabled", "true",
                    "Tracing off; false continues the broker's traces to the pods (docs/operations.md, Tracing)."},
            new String[] {"proxy-runner", "quarkus.otel.exporter.otlp.endpoint", "http://localhost:4317",
                    "OTLP (gRPC) endpoint the spans are exported to, when tracing is on."},
            new String[] {"controller-service", "quarkus.operator-sdk.controllers.mcpserver.namespaces",
                    "JOSDK_ALL_NAMESPACES", "Namespaces to watch, comma-separated (deploy/overlays/namespaced)."});

    @Test
    void theConfigurationReferenceMatchesTheCode() throws Exception {
        Path root = ItEnvironment.repoRoot();
        String rendered = render(root);
        Path doc = root.resolve("docs/configuration.md");
        if (Boolean.getBoolean("manifold.docs.regenerate")) {
            Files.writeString(doc, rendered);
        }
        String committed = Files.exists(doc) ? Files.readString(doc) : "";
        assertEquals(rendered, committed, "docs/configuration.md is stale: run ./mvnw -B verify -Pit -pl"
                + " contracts,runtime,broker-service,controller-service,proxy-runner,integration-tests -Dtest=NONE"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ConfigurationDocIT -Dmanifold.docs.regenerate=true");
    }

    static String render(Path root) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
                .append("Every key of every service, with its environment variable (the key in upper case, `.` and `-`")
                .append(" as `_`) and its\ndefault. Generated from the code by `ConfigurationDocIT`")
                .append(" (integration-tests), which fails when this file is stale.\n");
        for (Service service : SERVICES) {
            out.append("\n## ").append(service.title()).append("\n\n")
                    .append("| key | env | default | description |\n| --- | --- | --- | --- |\n");
            List<String[]> rows = mappingKeys(root, service);
            for (String[] q : QUARKUS_KEYS) {
                if (q[0].equals("all") || q[0].equals(service.module())) {
                    rows.add(new String[] {q[1], q[2], q[3]});
                }
            }
            rows.sort(Comparator.comparing(r -> r[0]));
            for (String[] row : rows) {
                out.append("| `").append(row[0]).append("` | `").append(env(row[0])).append("` | ")
                        .append(row[1].isEmpty() ? "–" : "`" + row[1] + "`").append(" | ").append(row[2]).append(" |\n");
            }
        }
        return out.toString();
    }

    /**
     * Every key of one service's {@code @ConfigMapping}, read from its packaged classes: {key, default (or empty),
     * description from the source's Javadoc}.
     */
    static List<String[]> mappingKeys(Path root, Service service) throws Exception {
        String source = Files.readString(root.resolve(service.sourcePath()));
        List<String[]> rows = new ArrayList<>();
        try (URLClassLoader loader = loader(root.resolve(service.module()).resolve("target/quarkus-app"))) {
            Class<?> mapping = loader.loadClass(service.mappingClass());
            Class<? extends Annotation> configMapping = annotation(loader, "io.smallrye.config.ConfigMapping");
            String prefix = (String) configMapping.getMethod("prefix").invoke(mapping.getAnnotation(configMapping));
            keys(root, mapping, prefix, loader, source, rows);
        }
        return rows;
    }

    private static void keys(Path root, Class<?> type, String prefix, ClassLoader loader, String source,
                             List<String[]> rows) throws Exception {
        Class<? extends Annotation> withDefault = annotation(loader, "io.smallrye.config.WithDefault");
        Class<? extends Annotation> withName = annotation(loader, "io.smallrye.config.WithName");
        Method[] methods = type.getMethods();
        Arrays.sort(methods, Comparator.comparing(Method::getName));
        for (Method m : methods) {
            if (m.getParameterCount() != 0 || m.isDefault() || Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            Annotation named = m.getAnnotation(withName);
            String key = prefix + "." + (named != null ? (String) withName.getMethod("value").invoke(named)
                    : kebab(m.getName()));
            Class<?> returned = m.getReturnType();
            if (returned.isInterface() && returned.getName().startsWith("dev.manifold")) {
                // a group declared in its own file (runtime's AuthConfig, shared by two services) documents its keys there
                String groupSource = returned.getEnclosingClass() != null ? source : Files.readString(sourceOf(root, returned));
                keys(root, returned, key, loader, groupSource, rows);
                continue;
            }
            Annotation def = m.getAnnotation(withDefault);
            String value = def == null ? "" : (String) withDefault.getMethod("value").invoke(def);
            String description = javadoc(source, m.getName());
            assertFalse(description.isBlank(), key + " has no Javadoc in its @ConfigMapping");
            rows.add(new String[] {key, value, description});
        }
    }

    /** The source file of a top-level project type, in whichever module declares it. */
    private static Path sourceOf(Path root, Class<?> type) throws java.io.IOException {
        String relative = "src/main/java/" + type.getName().replace('.', '/') + ".java";
        try (var modules = Files.list(root)) {
            return modules.map(m -> m.resolve(relative)).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new AssertionError("no source for config group " + type.getName()));
        }
    }

    /** The first sentence-block of the Javadoc right before {@code <type> name();} in the source, on one line. */
    static String javadoc(String source, String method) {
        Matcher m = Pattern.compile("/\\*\\*((?:(?!\\*/).)*)\\*/\\s*(?:@[^\\n]*\\n\\s*)*[\\w<>.,\\s]+\\s"
                + Pattern.quote(method) + "\\(\\);", Pattern.DOTALL).matcher(source);
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        if (found == null) {
            return "";
        }
        String text = found.lines().map(l -> l.replaceFirst("^\\s*\\*\\s?", "").strip())
                .filter(l -> !l.isEmpty()).reduce((a, b) -> a + " " + b).orElse("");
        text = text.replaceAll("\\{@(?:code|link|value) ([^}]*)}", "`$1`").replace("|", "\\|");
        // a link to another key of the mapping ({@link #backoffMax()}) reads as that key's name
        Matcher link = Pattern.compile("`#(\\w+)\\(\\)`").matcher(text);
        return link.replaceAll(r -> "`" + kebab(r.group(1)) + "`");
    }

    static String env(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Annotation> annotation(ClassLoader loader, String name) throws ClassNotFoundException {
        return (Class<? extends Annotation>) loader.loadClass(name);
    }

    private static URLClassLoader loader(Path app) throws Exception {
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> jars = Stream.concat(Files.list(app.resolve("app")), Files.list(app.resolve("lib/main")))) {
            for (Path jar : jars.toList()) {
                urls.add(jar.toUri().toURL());
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), null);
    }
}

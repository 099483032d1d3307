package dev.manifold.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * A parsed Prometheus text exposition (what /q/metrics serves): the samples, with their labels, so a test can ask for
 * "manifold_broker_backend_connects_total with server=alpha" without depending on label order or formatting.
 */
public final class PrometheusText {

    /** One sample line: metric name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final String raw;

    private PrometheusText(List<Sample> samples, String raw) {
        this.samples = samples;
        this.raw = raw;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            samples.add(parseLine(line));
        }
        return new PrometheusText(List.copyOf(samples), text);
    }

    private static Sample parseLine(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new TreeMap<>();
        String name;
        int rest;
        if (brace >= 0 && (space < 0 || brace < space)) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String key = line.substring(i, eq).strip();
                int j = eq + 2; // skip ="
                StringBuilder value = new StringBuilder();
                while (line.charAt(j) != '"') {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                    j++;
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            rest = i + 1;
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        String[] valueAndTimestamp = line.substring(rest).strip().split("\\s+");
        return new Sample(name, Map.copyOf(labels), parseValue(valueAndTimestamp[0]));
    }

    private static double parseValue(String v) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }

    /**
     * The value of the one sample named {@code name} whose labels include {@code labels}; empty when there is none.
     * Fails when several samples match, because then the question was ambiguous.
     */
    public OptionalDouble value(String name, Map<String, String> labels) {
        List<Sample> matches = samples.stream()
                .filter(s -> s.name().equals(name))
                .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
                .toList();
        if (matches.size() > 1) {
            throw new AssertionError(matches.size() + " samples of " + name + " match " + labels + ": " + matches);
        }
        return matches.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(matches.get(0).value());
    }

    /** The sum over every sample named {@code name} whose labels include {@code labels}; 0 when there is none. */
    public double sum(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name))
                .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value)
                .sum();
    }

    public OptionalDouble value(String name) {
        return value(name, Map.of());
    }

    /** The value, or an AssertionError naming the metric when the broker does not expose it. */
    public double require(String name, Map<String, String> labels) {
        return value(name, labels).orElseThrow(() -> new AssertionError("/q/metrics has no sample " + name + labels
                + "; the manifold samples are:\n" + manifoldSamples()));
    }

    public double require(String name) {
        return require(name, Map.of());
    }

    private String manifoldSamples() {
        StringBuilder out = new StringBuilder();
        samples.stream().filter(s -> s.name().startsWith("manifold_"))
                .forEach(s -> out.append("  ").append(s).append('\n'));
        return out.toString();
    }

    public String raw() {
        return raw;
    }
}

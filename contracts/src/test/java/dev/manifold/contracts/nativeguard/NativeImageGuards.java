package dev.manifold.contracts.nativeguard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks, without GraalVM, for the native-image defects a JVM test run never shows. Each module's test calls these
 * on its own compiled main classes ({@code target/classes}), which are loaded without being initialized. Shared as
 * the contracts test-jar so the three services run one implementation of each rule.
 * <p>
 * What it can't see is listed in docs/build.md ("Native"): anything only the points-to analysis finds.
 */
public final class NativeImageGuards {

    private static final String REGISTER_FOR_REFLECTION = "io.quarkus.runtime.annotations.RegisterForReflection";
    private static final String CAFFEINE_PACKAGE = "com.github.benmanes.caffeine.cache.";
    private static final String PROJECT_PACKAGE = "dev.manifold.";

    private NativeImageGuards() {
    }

    // ---------------------------------------------------------------- main classes

    /** The main classes of the module that compiled {@code anchor} (its class output directory), not initialized. */
    public static List<Class<?>> mainClasses(Class<?> anchor) {
        Path root = classesDir(anchor);
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class")).sorted()::iterator) {
                String relative = root.relativize(file).toString();
                String name = relative.substring(0, relative.length() - ".class".length()).replace('/', '.');
                if (name.endsWith("module-info") || name.endsWith("package-info")) {
                    continue;
                }
                try {
                    classes.add(Class.forName(name, false, anchor.getClassLoader()));
                } catch (ClassNotFoundException | LinkageError e) {
                    fail("cannot load main class " + name + " without initializing it: " + e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(classes.size() > 1, "no main classes found under " + root);
        return classes;
    }

    static Path classesDir(Class<?> anchor) {
        try {
            Path dir = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertTrue(Files.isDirectory(dir), anchor + " is not loaded from a class directory but from " + dir);
            return dir;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The main classes whose constant pool names {@code binaryName} (e.g. {@code com/github/benmanes/caffeine/cache/
     * Caffeine}) as a class, descriptor or signature; lambdas count for the class that declares them.
     */
    public static Set<String> classesReferencing(Class<?> anchor, String binaryName) {
        Path root = classesDir(anchor);
        byte[] plain = binaryName.getBytes(StandardCharsets.UTF_8);
        byte[] asDescriptor = ("L" + binaryName + ";").getBytes(StandardCharsets.UTF_8);
        Set<String> found = new TreeSet<>();
        for (Class<?> c : mainClasses(anchor)) {
            byte[] bytes = classBytes(root, c);
            if (containsUtf8Entry(bytes, plain) || indexOf(bytes, asDescriptor) >= 0) {
                found.add(c.getName());
            }
        }
        return found;
    }

    private static byte[] classBytes(Path root, Class<?> c) {
        try {
            return Files.readAllBytes(root.resolve(c.getName().replace('.', '/') + ".class"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A CONSTANT_Utf8 entry holding exactly {@code text}: tag 1, u2 length, the bytes. */
    private static boolean containsUtf8Entry(byte[] bytes, byte[] text) {
        byte[] entry = new byte[text.length + 3];
        entry[0] = 1;
        entry[1] = (byte) (text.length >> 8);
        entry[2] = (byte) text.length;
        System.arraycopy(text, 0, entry, 3, text.length);
        return indexOf(bytes, entry) >= 0;
    }

    private static int indexOf(byte[] bytes, byte[] needle) {
        return indexOf(bytes, needle, 0);
    }

    // ---------------------------------------------------------------- static Random

    /**
     * No main class holds a {@code Random}, {@code SecureRandom}, {@code ThreadLocalRandom}, {@code SplittableRandom}
     * (any {@link RandomGenerator}) in a static field, directly, in an array or as a type argument
     * ({@code AtomicReference<SecureRandom>}). Quarkus initializes application classes at build time, so such an
     * instance lands in the image heap and native-image refuses it (or every process shares its seed).
     */
    public static void assertNoStaticRandom(Class<?> anchor) {
        assertNoStaticRandom(anchor, Set.of());
    }

    /**
     * As {@link #assertNoStaticRandom(Class)}, tolerating the named fields ({@code com.example.Owner.FIELD}) while
     * their fix is under way elsewhere. A tolerated field that is gone (fixed) costs nothing; remove its entry then.
     */
    public static void assertNoStaticRandom(Class<?> anchor, Set<String> fixPending) {
        List<String> offenders = new ArrayList<>();
        for (Class<?> c : mainClasses(anchor)) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && mentionsRandom(f.getGenericType())
                        && !fixPending.contains(c.getName() + "." + f.getName())) {
                    offenders.add(c.getName() + "." + f.getName() + " (" + f.getGenericType().getTypeName() + ")");
                }
            }
        }
        assertEquals(List.of(), offenders, "static random generators end up in the native image heap; "
                + "hold them in a bean field or create them at run time");
    }

    static boolean mentionsRandom(Type type) {
        if (type instanceof Class<?> c) {
            if (c.isArray()) {
                return mentionsRandom(c.getComponentType());
            }
            return RandomGenerator.class.isAssignableFrom(c) || SplittableRandom.class.isAssignableFrom(c);
        }
        if (type instanceof ParameterizedType p) {
            if (mentionsRandom(p.getRawType())) {
                return true;
            }
            for (Type arg : p.getActualTypeArguments()) {
                if (mentionsRandom(arg)) {
                    return true;
                }
            }
            return false;
        }
        if (type instanceof GenericArrayType a) {
            return mentionsRandom(a.getGenericComponentType());
        }
        if (type instanceof WildcardType w) {
            for (Type bound : w.getUpperBounds()) {
                if (mentionsRandom(bound)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- @RegisterForReflection

    /**
     * The class names {@code @RegisterForReflection} registers on {@code c}: its {@code targets} and
     * {@code classNames}, or the class itself when both are empty. Read by name, so this works with any class loader.
     */
    public static Set<String> registeredBy(Class<?> c) {
        Set<String> names = new TreeSet<>();
        for (Annotation a : c.getDeclaredAnnotations()) {
            if (!a.annotationType().getName().equals(REGISTER_FOR_REFLECTION)) {
                continue;
            }
            Class<?>[] targets = (Class<?>[]) attribute(a, "targets");
            String[] classNames = (String[]) attribute(a, "classNames");
            for (Class<?> t : targets) {
                names.add(t.getName());
            }
            names.addAll(List.of(classNames));
            if (targets.length == 0 && classNames.length == 0) {
                names.add(c.getName());
            }
        }
        return names;
    }

    /** Every class name registered by a {@code @RegisterForReflection} on one of the module's main classes. */
    public static Set<String> registeredInModule(Class<?> anchor) {
        Set<String> names = new TreeSet<>();
        for (Class<?> c : mainClasses(anchor)) {
            names.addAll(registeredBy(c));
        }
        return names;
    }

    private static Object attribute(Annotation a, String name) {
        try {
            Method m = a.annotationType().getMethod(name);
            return m.invoke(a);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + name + " of " + a, e);
        }
    }

    // ---------------------------------------------------------------- type tokens

    /**
     * Every type token of the module (a subclass of CDI's {@code TypeLiteral}, as SmallRye Fault Tolerance's
     * {@code TypedGuard.create} takes, or of Jackson's {@code TypeReference}) is registered: the token is read
     * through {@code getGenericSuperclass()}. Anonymous tokens can't be named in a registration, so they fail too.
     */
    public static void assertTypeTokensRegistered(Class<?> anchor) {
        Set<String> registered = registeredInModule(anchor);
        List<String> missing = new ArrayList<>();
        for (Class<?> c : mainClasses(anchor)) {
            Class<?> parent = c.getSuperclass();
            if (parent != null && (parent.getName().equals("jakarta.enterprise.util.TypeLiteral")
                    || parent.getName().equals("com.fasterxml.jackson.core.type.TypeReference"))
                    && !registered.contains(c.getName())) {
                missing.add(c.getName());
            }
        }
        assertEquals(List.of(), missing, "type tokens are read by reflection: make each a named class with "
                + "@RegisterForReflection");
    }

    // ---------------------------------------------------------------- Caffeine

    /**
     * The classes Caffeine loaded by name (through MethodHandles) for this cache: its {@code LocalCacheFactory}
     * (e.g. {@code SSLMSA}) and its {@code NodeFactory} (e.g. {@code PSAMS}), both picked by the builder's options.
     * Empty for an unbounded cache, which uses no generated class. Pass {@code cache.asMap()}: for a bounded cache
     * that is the generated cache itself.
     */
    public static List<String> caffeineGeneratedClasses(Map<?, ?> cacheAsMap) {
        Class<?> local = cacheAsMap.getClass();
        if (local.getName().startsWith(CAFFEINE_PACKAGE + "LocalAsyncCache$")) {
            // an asynchronous cache's map view: its asyncCache's cache() is the map that picks the generated classes
            try {
                Field f = local.getDeclaredField("asyncCache");
                f.setAccessible(true);
                Object async = f.get(cacheAsMap);
                java.lang.reflect.Method cache = Class.forName(CAFFEINE_PACKAGE + "LocalAsyncCache").getDeclaredMethod("cache");
                cache.setAccessible(true);
                return caffeineGeneratedClasses((Map<?, ?>) cache.invoke(async));
            } catch (ReflectiveOperationException e) {
                // fall through to the failure below
            }
            return fail("Caffeine's asynchronous map view has no delegate map any more: update this guard");
        }
        if (local.getName().startsWith(CAFFEINE_PACKAGE + "UnboundedLocalCache")) {
            return List.of();
        }
        assertTrue(local.getName().startsWith(CAFFEINE_PACKAGE), "not a Caffeine cache's map: " + local);
        for (Class<?> k = local; k != null; k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField("nodeFactory");
                f.setAccessible(true);
                return List.of(local.getName(), f.get(cacheAsMap).getClass().getName());
            } catch (NoSuchFieldException e) {
                // declared further up
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return fail("Caffeine's BoundedLocalCache has no nodeFactory field any more: update this guard to the new "
                + "way Caffeine picks its node class");
    }

    /** Every generated class the cache needs is named in {@code owner}'s {@code @RegisterForReflection}. */
    public static void assertCacheRegistered(Class<?> owner, Map<?, ?> cacheAsMap) {
        List<String> needed = caffeineGeneratedClasses(cacheAsMap);
        Set<String> registered = registeredBy(owner);
        List<String> missing = needed.stream().filter(n -> !registered.contains(n)).toList();
        assertEquals(List.of(), missing, "Caffeine loads these generated classes by name for this cache's options; "
                + "add them to the @RegisterForReflection(classNames = ...) on " + owner.getName()
                + " (it names " + registered + ")");
    }

    // ---------------------------------------------------------------- Jackson

    /**
     * Every type Jackson may bind by reflection is registered by a {@code @RegisterForReflection} of the module.
     * <p>
     * Bound types are: every record and every type carrying a Jackson annotation (on itself, a field, a method, a
     * constructor or a record component) in the module's main classes; every record, enum or Jackson-annotated type
     * of {@code contracts} that the module's main classes name; and, from each of those, the project types of their
     * record components and instance fields, transitively. A record of the module that Jackson never sees is left
     * out only by naming it in {@code notJacksonBound} (class name to the reason), so a new record fails here until
     * its author decides which it is.
     */
    public static void assertJacksonTypesRegistered(Class<?> anchor, Map<String, String> notJacksonBound) {
        List<Class<?>> mains = mainClasses(anchor);
        Set<String> mainNames = new TreeSet<>();
        mains.forEach(c -> mainNames.add(c.getName()));
        List<String> stale = notJacksonBound.keySet().stream().filter(n -> !mainNames.contains(n)).toList();
        assertEquals(List.of(), stale, "notJacksonBound names classes that are not main classes of this module");

        Deque<Class<?>> pending = new ArrayDeque<>();
        for (Class<?> c : mains) {
            if ((c.isRecord() || jacksonAnnotated(c)) && !notJacksonBound.containsKey(c.getName())) {
                pending.add(c);
            }
        }
        Path root = classesDir(anchor);
        Set<String> contractsNamed = new TreeSet<>();
        for (Class<?> c : mains) {
            contractsNamed.addAll(projectTypesNamedIn(classBytes(root, c), "dev/manifold/contracts/"));
        }
        for (String name : contractsNamed) {
            Class<?> c = load(name, anchor.getClassLoader());
            if (c != null && (c.isRecord() || c.isEnum() || jacksonAnnotated(c))) {
                pending.add(c);
            }
        }

        Set<String> bound = new TreeSet<>();
        while (!pending.isEmpty()) {
            Class<?> c = pending.poll();
            if (!bound.add(c.getName())) {
                continue;
            }
            List<Type> parts = new ArrayList<>();
            if (c.isRecord()) {
                for (RecordComponent rc : c.getRecordComponents()) {
                    parts.add(rc.getGenericType());
                }
            }
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    parts.add(f.getGenericType());
                }
            }
            for (Type t : parts) {
                collectProjectTypes(t, pending);
            }
        }
        Set<String> registered = registeredInModule(anchor);
        List<String> missing = bound.stream().filter(n -> !registered.contains(n)).toList();
        assertEquals(List.of(), missing, "types Jackson may bind by reflection are not registered for the native "
                + "image: add them to a @RegisterForReflection in this module (or, for a record Jackson never sees, "
                + "to this test's notJacksonBound with the reason)");
    }

    static boolean jacksonAnnotated(Class<?> c) {
        if (hasJacksonAnnotation(c)) {
            return true;
        }
        List<AnnotatedElement> members = new ArrayList<>();
        members.addAll(List.of(c.getDeclaredFields()));
        members.addAll(List.of(c.getDeclaredMethods()));
        members.addAll(List.of(c.getDeclaredConstructors()));
        if (c.isRecord()) {
            members.addAll(List.of(c.getRecordComponents()));
        }
        for (AnnotatedElement m : members) {
            if (m instanceof Member member && member.isSynthetic()) {
                continue;
            }
            if (hasJacksonAnnotation(m)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasJacksonAnnotation(AnnotatedElement e) {
        for (Annotation a : e.getDeclaredAnnotations()) {
            String name = a.annotationType().getName();
            if (name.startsWith("com.fasterxml.jackson.annotation.")
                    || name.startsWith("com.fasterxml.jackson.databind.annotation.")) {
                return true;
            }
        }
        return false;
    }

    private static void collectProjectTypes(Type t, Deque<Class<?>> into) {
        if (t instanceof Class<?> c) {
            if (c.isArray()) {
                collectProjectTypes(c.getComponentType(), into);
            } else if (c.getName().startsWith(PROJECT_PACKAGE)) {
                into.add(c);
            }
        } else if (t instanceof ParameterizedType p) {
            collectProjectTypes(p.getRawType(), into);
            for (Type arg : p.getActualTypeArguments()) {
                collectProjectTypes(arg, into);
            }
        } else if (t instanceof GenericArrayType a) {
            collectProjectTypes(a.getGenericComponentType(), into);
        } else if (t instanceof WildcardType w) {
            for (Type bound : w.getUpperBounds()) {
                collectProjectTypes(bound, into);
            }
        }
    }

    /** Binary names starting with {@code prefix} in a class file's bytes (class entries, descriptors, signatures). */
    static Set<String> projectTypesNamedIn(byte[] classFile, String prefix) {
        byte[] needle = prefix.getBytes(StandardCharsets.UTF_8);
        Set<String> names = new TreeSet<>();
        for (int i = indexOf(classFile, needle, 0); i >= 0; i = indexOf(classFile, needle, i + 1)) {
            int end = i;
            while (end < classFile.length && isNameByte(classFile[end])) {
                end++;
            }
            names.add(new String(classFile, i, end - i, StandardCharsets.UTF_8).replace('/', '.'));
        }
        return names;
    }

    private static boolean isNameByte(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '$' || b == '/';
    }

    private static int indexOf(byte[] bytes, byte[] needle, int from) {
        outer:
        for (int i = from; i <= bytes.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static Class<?> load(String name, ClassLoader loader) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return null; // a package name or a member name that only looks like a class
        }
    }
}

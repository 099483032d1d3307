package dev.manifold.contracts;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each code in the table means one thing, and MCP's own codes keep their MCP meaning. */
class JsonRpcErrorsTest {

    @Test
    void everyCodeMeansOneThing() throws IllegalAccessException {
        Map<Integer, String> byCode = new HashMap<>();
        for (Field field : JsonRpcErrors.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class) {
                int code = field.getInt(null);
                String before = byCode.put(code, field.getName());
                assertTrue(before == null, code + " is both " + before + " and " + field.getName());
            }
        }
        assertTrue(byCode.size() >= 11, "the table lost codes: " + byCode);
    }

    @Test
    void resourceNotFoundIsMcpsCodeAndBackendUnavailableIsNot() {
        assertEquals(-32002, JsonRpcErrors.RESOURCE_NOT_FOUND);
        assertTrue(JsonRpcErrors.BACKEND_UNAVAILABLE != JsonRpcErrors.RESOURCE_NOT_FOUND);
        assertTrue(JsonRpcErrors.BACKEND_UNAVAILABLE <= -32000 && JsonRpcErrors.BACKEND_UNAVAILABLE >= -32099,
                "implementation-defined server errors are -32000..-32099");
    }
}

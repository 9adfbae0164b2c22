package dev.idempotency.spring.internal.json;

import java.util.Random;

/** Random JSON documents for differential tests: every value kind, escapes, odd names, numbers, whitespace. */
final class RandomJson {

    private static final String[] NAMES = {"a", "b", "ab", "B", "a\\\"", "a#", "a\\\\", "a\\u0001", "\\u0061", "é", "\\u00e9",
            "\uff01", "\\ud83d\\ude00", "\ud83d\ude00", "\ue000", "z", "", "id", "amount", "\\n", "\\/"};
    private static final String[] NUMBERS = {"0", "-0", "1", "10", "100", "1.0", "1e0", "10E-1", "2.50", "-3.14", "1e-7",
            "12e-7", "0.000001", "123456789012345678901234567890", "7e2147483646", "1E+2", "0.0e5"};
    private static final String[] STRINGS = {"", "x", "\\u0041", "\\\"", "\\\\", "\\b\\f\\n\\r\\t", "\\u001f", "Zoë €",
            "\\ud83d\\ude00", "\ud83d\ude00", "\\/", "\u2028"};

    private RandomJson() {}

    static void value(Random random, StringBuilder json, int depth) {
        int kind = random.nextInt(depth > 8 ? 4 : 7);
        space(random, json);
        switch (kind) {
            case 0 -> json.append('"').append(STRINGS[random.nextInt(STRINGS.length)]).append('"');
            case 1 -> json.append(NUMBERS[random.nextInt(NUMBERS.length)]);
            case 2 -> json.append(new String[] {"true", "false", "null"}[random.nextInt(3)]);
            case 3 -> json.append(random.nextBoolean() ? "{}" : "[]");
            case 4 -> {
                json.append('[');
                int count = random.nextInt(4);
                for (int i = 0; i < count; i++) {
                    if (i > 0) {
                        json.append(',');
                    }
                    value(random, json, depth + 1);
                }
                space(random, json);
                json.append(']');
            }
            default -> {
                json.append('{');
                java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of(NAMES));
                java.util.Collections.shuffle(names, random);
                // Mostly distinct names; "a" and "\u0061" are the same name, so duplicates happen now and then.
                int count = random.nextInt(6);
                for (int i = 0; i < count; i++) {
                    if (i > 0) {
                        json.append(',');
                    }
                    space(random, json);
                    json.append('"').append(names.get(i)).append('"');
                    space(random, json);
                    json.append(':');
                    value(random, json, depth + 1);
                    space(random, json);
                }
                json.append('}');
            }
        }
        space(random, json);
    }

    private static void space(Random random, StringBuilder json) {
        if (random.nextInt(4) == 0) {
            json.append(" \n\t\r".charAt(random.nextInt(4)));
        }
    }

    /** A copy with one byte deleted, duplicated or replaced. */
    static byte[] damage(Random random, byte[] bytes) {
        if (bytes.length == 0) {
            return bytes;
        }
        int at = random.nextInt(bytes.length);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(bytes, 0, at);
        switch (random.nextInt(3)) {
            case 0 -> { }
            case 1 -> {
                out.write(bytes[at]);
                out.write(bytes[at]);
            }
            default -> out.write("{}[]\",:\\0e.-ut\u0080".getBytes(java.nio.charset.StandardCharsets.UTF_8)[random.nextInt(15)]);
        }
        out.write(bytes, at + 1, bytes.length - at - 1);
        return out.toByteArray();
    }
}

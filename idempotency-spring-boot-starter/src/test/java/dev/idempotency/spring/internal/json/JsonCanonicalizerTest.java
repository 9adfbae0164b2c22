package dev.idempotency.spring.internal.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonCanonicalizerTest {

    @Test
    void sortsMembersAndDropsWhitespace() {
        assertThat(JsonCanonicalizer.canonicalize(" {\n \"b\" : [ 1 , {\"z\":null,\"a\":true} ],\t\"a\" : \"x\" } "))
                .isEqualTo("{\"a\":\"x\",\"b\":[1,{\"a\":true,\"z\":null}]}");
    }

    @Test
    void keyOrderAndWhitespaceGiveTheSameBytes() {
        byte[] one = JsonCanonicalizer.canonicalize("{\"amount\":10,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8));
        byte[] two = JsonCanonicalizer.canonicalize("{ \"currency\": \"EUR\",\n  \"amount\": 10 }".getBytes(StandardCharsets.UTF_8));
        assertThat(one).isEqualTo(two);
    }

    @Test
    void arrayOrderMatters() {
        assertThat(JsonCanonicalizer.canonicalize("[1,2]")).isNotEqualTo(JsonCanonicalizer.canonicalize("[2,1]"));
    }

    @Test
    void numbersAreComparedByValue() {
        assertThat(JsonCanonicalizer.canonicalize("[1, 1.0, 1e0, 10E-1, 1.000]")).isEqualTo("[1,1,1,1,1]");
        assertThat(JsonCanonicalizer.canonicalize("[0, -0, 0.0, 0e10]")).isEqualTo("[0,0,0,0]");
        assertThat(JsonCanonicalizer.canonicalize("[100, 1e2, 2.50, -3.14]")).isEqualTo("[1E+2,1E+2,2.5,-3.14]");
        assertThat(JsonCanonicalizer.canonicalize("12345678901234567890123"))
                .isEqualTo(JsonCanonicalizer.canonicalize("1.2345678901234567890123e22"))
                .isEqualTo("12345678901234567890123");
        assertThat(JsonCanonicalizer.canonicalize("1")).isNotEqualTo(JsonCanonicalizer.canonicalize("2"));
    }

    @Test
    void numbersAreWrittenExactlyAsBigDecimalWouldWriteThemSoFingerprintsDoNotChange() {
        java.util.Random random = new java.util.Random(42);
        String[] samples = {"0.000001", "0.0000001", "123.456e-3", "-0.00012300", "1e-7", "1.5e-6", "100e-2", "120e-1",
                "0.1e1", "9e-10", "-5E+3", "1000000", "0.0", "-0.0e-5", "12e+0", "7e2147483646"};
        java.util.List<String> numbers = new java.util.ArrayList<>(java.util.List.of(samples));
        for (int i = 0; i < 2000; i++) {
            StringBuilder n = new StringBuilder(random.nextBoolean() ? "-" : "");
            boolean zero = random.nextInt(4) == 0;
            n.append(zero ? "0" : String.valueOf(1 + random.nextInt(9)));
            for (int d = zero ? 0 : random.nextInt(6); d > 0; d--) {
                n.append(random.nextInt(3) == 0 ? '0' : (char) ('0' + random.nextInt(10)));
            }
            if (random.nextBoolean()) {
                n.append('.');
                for (int d = 1 + random.nextInt(6); d > 0; d--) {
                    n.append(random.nextInt(3) == 0 ? '0' : (char) ('0' + random.nextInt(10)));
                }
            }
            if (random.nextBoolean()) {
                n.append(random.nextBoolean() ? 'e' : 'E').append(random.nextBoolean() ? "-" : random.nextBoolean() ? "+" : "")
                        .append(random.nextInt(15));
            }
            numbers.add(n.toString());
        }
        for (String number : numbers) {
            java.math.BigDecimal value = new java.math.BigDecimal(number);
            String expected = value.signum() == 0 ? "0" : value.stripTrailingZeros().toString();
            assertThat(JsonCanonicalizer.canonicalize(number)).as(number).isEqualTo(expected);
        }
    }

    @Test
    void longNumbersAreRejectedQuicklyInsteadOfCanonicalisedInQuadraticTime() {
        byte[] body = ("{\"amount\":1" + "0".repeat(100_000) + "}").getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(body)).isInstanceOf(InvalidJsonException.class)
                .hasMessageContaining("longer than 1000");
        assertThat(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(500);
        String longest = "1" + "0".repeat(JsonCanonicalizer.MAX_NUMBER_LENGTH - 1);
        assertThat(JsonCanonicalizer.canonicalize(longest)).isEqualTo("1E+" + (JsonCanonicalizer.MAX_NUMBER_LENGTH - 1));
        assertThat(JsonCanonicalizer.canonicalize("0." + "0".repeat(990) + "1e991")).isEqualTo("1");
    }

    @Test
    void loneSurrogatesAreInvalidAndDoNotCollideWithAQuestionMark() {
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize("{\"name\":\"\\ud800\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidJsonException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize("\"\\udc00x\"")).isInstanceOf(InvalidJsonException.class);
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize("{\"\\ud800\":1}")).isInstanceOf(InvalidJsonException.class);
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize("\"\\ud83d\\u0041\"")).isInstanceOf(InvalidJsonException.class);
        // A proper pair, escaped or not, is one character.
        assertThat(JsonCanonicalizer.canonicalize("\"\\ud83d\\ude00\"")).isEqualTo("\"\ud83d\ude00\"");
        assertThat(JsonCanonicalizer.canonicalize("\"\\ud83d\ude00\"")).isEqualTo("\"\ud83d\ude00\"");
    }

    @Test
    void stringsAreUnescapedAndRewrittenMinimally() {
        assertThat(JsonCanonicalizer.canonicalize("\"\\u0041\\/\\u00e9\\n\\\"\\\\\\u001f\""))
                .isEqualTo("\"A/é\\n\\\"\\\\\\u001f\"");
        assertThat(JsonCanonicalizer.canonicalize("{\"\\u0061\":1}")).isEqualTo("{\"a\":1}");
    }

    @Test
    void literalsAndEmptyContainers() {
        assertThat(JsonCanonicalizer.canonicalize("[true,false,null,{},[]]")).isEqualTo("[true,false,null,{},[]]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "}", "{\"a\"}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}", "'x'", "01", "1.", ".5", "-",
            "1e", "+1", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"a\u0001b\"", "{\"a\":1}{", "NaN", "Infinity",
            "{\"a\":1,\"a\":2}", "\uFEFF{}", "1e99999999999"})
    void rejectsInvalidJsonWithItsOwnException(String json) {
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(json)).isInstanceOf(InvalidJsonException.class);
    }

    @Test
    void rejectsNestingDeeperThanTheLimitWithoutOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(deep)).isInstanceOf(InvalidJsonException.class)
                .hasMessageContaining("nested deeper than 64");
        int limit = JsonCanonicalizer.DEFAULT_MAX_DEPTH;
        String ok = "[".repeat(limit) + "]".repeat(limit);
        assertThat(JsonCanonicalizer.canonicalize(ok)).isEqualTo(ok);
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize("[".repeat(limit + 1) + "]".repeat(limit + 1)))
                .isInstanceOf(InvalidJsonException.class).hasMessageContaining("nested deeper");
    }

    /** Objects and arrays both count, as Jackson's maxNestingDepth counts them; scalars do not. */
    @Test
    void theDepthIsTheNumberOfObjectsAndArraysOpenAtOnePoint() {
        byte[] three = "{\"a\":[{\"b\":1}]}".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonCanonicalizer.canonicalize(three, StandardCharsets.UTF_8, 3)).isEqualTo(three);
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(three, StandardCharsets.UTF_8, 2))
                .isInstanceOf(InvalidJsonException.class).hasMessageContaining("nested deeper than 2");
        byte[] scalar = "\"x\"".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonCanonicalizer.canonicalize(scalar, StandardCharsets.UTF_8, 1)).isEqualTo(scalar);
        int most = JsonCanonicalizer.MAX_CONFIGURABLE_DEPTH;
        byte[] deepest = ("{\"a\":".repeat(most - 1) + "[]" + "}".repeat(most - 1)).getBytes(StandardCharsets.UTF_8);
        assertThat(JsonCanonicalizer.canonicalize(deepest, StandardCharsets.UTF_8, most)).isEqualTo(deepest);
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(scalar, StandardCharsets.UTF_8, most + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(scalar, StandardCharsets.UTF_8, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void membersAreSortedAtEveryLevelAndInsideArrays() {
        assertThat(JsonCanonicalizer.canonicalize(
                "{\"z\":{\"y\":[{\"b\":1,\"a\":{\"d\":0,\"c\":[]}},{\"a\":2}],\"x\":{}},\"a\":[[{\"q\":1,\"p\":2}]],\"m\":{\"only\":{\"t\":1,\"s\":2}}}"))
                .isEqualTo("{\"a\":[[{\"p\":2,\"q\":1}]],\"m\":{\"only\":{\"s\":2,\"t\":1}},\"z\":{\"x\":{},\"y\":[{\"a\":{\"c\":[],\"d\":0},\"b\":1},{\"a\":2}]}}");
    }

    /**
     * Names sort by their unescaped text, not by their escaped form: a quote (0x22) sorts before '#' (0x23) although
     * its escape starts with a backslash (0x5C); and by UTF-16 code units, not code points: U+1F600 (a surrogate
     * pair, D83D DE00) sorts before U+FF01, as RFC 8785 requires.
     */
    @Test
    void namesSortByTheirUtf16CodeUnitsUnescaped() {
        assertThat(JsonCanonicalizer.canonicalize("{\"a#\":1,\"a\\\"\":2,\"a\\u0001\":3,\"a\\\\\":4}"))
                .isEqualTo("{\"a\\u0001\":3,\"a\\\"\":2,\"a#\":1,\"a\\\\\":4}");
        assertThat(JsonCanonicalizer.canonicalize("{\"\uff01\":1,\"\ud83d\ude00\":2,\"\u00e9\":3,\"z\":4}"))
                .isEqualTo("{\"z\":4,\"\u00e9\":3,\"\ud83d\ude00\":2,\"\uff01\":1}");
        assertThat(JsonCanonicalizer.canonicalize("{\"ab\":1,\"a\":2}")).isEqualTo("{\"a\":2,\"ab\":1}");
    }

    @Test
    void duplicateNamesAreFoundWhateverTheirOrderOrEscaping() {
        for (String json : new String[] {"{\"a\":1,\"b\":2,\"a\":3}", "{\"b\":1,\"a\":2,\"b\":3}", "{\"A\":1,\"\\u0041\":2}",
                "[{\"x\":{\"c\":1,\"b\":1,\"c\":2}}]"}) {
            assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(json)).as(json).isInstanceOf(InvalidJsonException.class)
                    .hasMessageContaining("duplicate member name");
        }
    }

    /**
     * The linear canonicaliser writes exactly what the one that built each object's text from its members' texts
     * wrote, for random documents of every shape, and rejects what it rejected.
     */
    @Test
    void agreesWithTheTreeBuildingCanonicaliserOnRandomDocuments() {
        java.util.Random random = new java.util.Random(7);
        int accepted = 0;
        for (int i = 0; i < 5_000; i++) {
            StringBuilder json = new StringBuilder();
            RandomJson.value(random, json, 0);
            byte[] document = json.toString().getBytes(StandardCharsets.UTF_8);
            accepted += agree(document) ? 1 : 0;
            for (int damage = 0; damage < 3; damage++) {
                agree(RandomJson.damage(random, document));
            }
        }
        assertThat(accepted).as("documents accepted").isGreaterThan(4_000);
    }

    /** Objects too large to be sorted where they stand take the other way through the canonicaliser. */
    @Test
    void agreesWithTheTreeBuildingCanonicaliserOnLargeObjects() {
        java.util.Random random = new java.util.Random(11);
        for (int round = 0; round < 20; round++) {
            java.util.List<String> members = new java.util.ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                StringBuilder value = new StringBuilder();
                RandomJson.value(random, value, 6);
                try {
                    TreeJsonCanonicalizer.canonicalize(value.toString());
                } catch (InvalidJsonException e) {
                    i--; // a value with a duplicate name; take another
                    continue;
                }
                members.add("\"m" + Integer.toString(i, 36) + "\":" + value);
            }
            java.util.Collections.shuffle(members, random);
            String large = "{" + String.join(",", members) + "}";
            assertThat(large.length()).isGreaterThan(16 * 1024);
            String document = round % 2 == 0 ? large : "[{\"z\":" + large + ",\"a\":{\"y\":" + large.replace("\"m", "\"n") + ",\"b\":1}}]";
            assertThat(agree(document.getBytes(StandardCharsets.UTF_8))).as("accepted").isTrue();
        }
    }

    /** Both canonicalisers reject the bytes, or both write the same; true if they accepted them. */
    private static boolean agree(byte[] json) {
        String expected;
        try {
            expected = new String(TreeJsonCanonicalizer.canonicalize(json), StandardCharsets.UTF_8);
        } catch (InvalidJsonException e) {
            assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(json)).as(new String(json, StandardCharsets.UTF_8))
                    .isInstanceOf(InvalidJsonException.class);
            return false;
        }
        assertThat(new String(JsonCanonicalizer.canonicalize(json), StandardCharsets.UTF_8))
                .as(new String(json, StandardCharsets.UTF_8)).isEqualTo(expected);
        return true;
    }

    @Test
    void rejectsBytesThatAreNotValidUtf8() {
        byte[] invalid = {'"', (byte) 0xC3, (byte) 0x28, '"'};
        assertThatThrownBy(() -> JsonCanonicalizer.canonicalize(invalid)).isInstanceOf(InvalidJsonException.class);
    }

    @Test
    void decodesOtherDeclaredCharsets() {
        byte[] utf16 = "{\"b\":1,\"a\":2}".getBytes(StandardCharsets.UTF_16BE);
        assertThat(new String(JsonCanonicalizer.canonicalize(utf16, StandardCharsets.UTF_16BE), StandardCharsets.UTF_8))
                .isEqualTo("{\"a\":2,\"b\":1}");
    }
}

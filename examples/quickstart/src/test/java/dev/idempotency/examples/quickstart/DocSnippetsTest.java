package dev.idempotency.examples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the documentation's quick start equal to this application, so that what a new user pastes is what this
 * module builds and its HTTP tests prove.
 *
 * <p>The rule, for the README and every page of {@code docs/}: a fenced code block whose opening line directly
 * follows a line
 * <pre>{@code <!-- snippet: examples/quickstart/src/main/resources/application.yml -->}</pre>
 * (a path from the repository root) must equal that file. For a {@code .java} file the block leaves out the
 * file's {@code package} line and the blank line after it; everything else, imports included, is compared as is.
 * After {@code <!-- snippet-excerpt: PATH -->} the block must instead appear in the file as consecutive lines, each
 * compared without its leading whitespace (for a few dependencies out of the {@code pom.xml}). Trailing newlines
 * never count. Each file of {@link #SNIPPET_FILES} must be shown whole at least once (the README, getting-started
 * and security pages show them), so dropping a marker fails too.
 *
 * <p>Marked or not, every {@code java} block of the README and of {@code docs/} must import each
 * annotation it uses and each of the library's public types it names, so that every Java snippet can be pasted.
 */
class DocSnippetsTest {

    private static final Path ROOT = Path.of("../..");

    static final List<String> SNIPPET_FILES = List.of(
            "examples/quickstart/pom.xml",
            "examples/quickstart/src/main/resources/application.yml",
            "examples/quickstart/src/main/resources/application-postgres.yml",
            "examples/quickstart/src/main/resources/db/migration/V1__create_orders.sql",
            "examples/quickstart/src/main/java/dev/idempotency/examples/quickstart/QuickstartApplication.java",
            "examples/quickstart/src/main/java/dev/idempotency/examples/quickstart/OrderController.java",
            "examples/quickstart/src/main/java/dev/idempotency/examples/quickstart/SecurityConfiguration.java");

    private static final Pattern MARKER = Pattern.compile("<!-- snippet(-excerpt)?: (\\S+) -->");

    /** Annotations of java.lang, which need no import. */
    private static final Set<String> IMPLICIT_ANNOTATIONS = Set.of("Override", "Deprecated", "SuppressWarnings",
            "FunctionalInterface", "SafeVarargs");

    @Test
    void markedSnippetsEqualTheQuickstartFiles() throws IOException {
        List<String> mismatches = new ArrayList<>();
        Set<String> shownWhole = new LinkedHashSet<>();
        for (String page : pages()) {
            for (Snippet snippet : blocks(page)) {
                if (snippet.marker() == null) {
                    continue;
                }
                Matcher marker = MARKER.matcher(snippet.marker());
                marker.matches();
                boolean excerpt = marker.group(1) != null;
                String path = marker.group(2);
                Path file = ROOT.resolve(path);
                if (!Files.isRegularFile(file)) {
                    mismatches.add(page + ":" + snippet.line() + " names " + path + ", which does not exist");
                    continue;
                }
                String expected = comparable(path, Files.readString(file));
                if (excerpt && !containsLines(expected, snippet.text())) {
                    mismatches.add(page + ":" + snippet.line() + " is not an excerpt of " + path
                            + ": these lines do not occur there in a row:\n" + snippet.text());
                } else if (!excerpt && !expected.equals(snippet.text())) {
                    mismatches.add(page + ":" + snippet.line() + " differs from " + path + ": "
                            + firstDifference(expected, snippet.text(), page, snippet.line()));
                }
                if (!excerpt) {
                    shownWhole.add(path);
                }
            }
        }
        assertThat(mismatches).as("snippets that differ from their files").isEmpty();
        assertThat(shownWhole).as("quickstart files shown whole in the docs").containsAll(SNIPPET_FILES);
    }

    @Test
    void everyJavaSnippetImportsWhatItUses() throws IOException {
        Set<String> libraryTypes = libraryTypes();
        List<String> missing = new ArrayList<>();
        for (String page : pages()) {
            for (Snippet snippet : blocks(page)) {
                if (!snippet.language().equals("java")) {
                    continue;
                }
                Set<String> imported = new LinkedHashSet<>();
                Matcher imports = Pattern.compile("(?m)^import (?:static )?[\\w.]+\\.(\\w+);").matcher(snippet.text());
                while (imports.find()) {
                    imported.add(imports.group(1));
                }
                Set<String> used = new LinkedHashSet<>();
                Matcher annotations = Pattern.compile("@([A-Z]\\w*)").matcher(withoutComments(snippet.text()));
                while (annotations.find()) {
                    if (!IMPLICIT_ANNOTATIONS.contains(annotations.group(1))) {
                        used.add(annotations.group(1));
                    }
                }
                Matcher words = Pattern.compile("(?<![\\w.])([A-Z]\\w*)\\b").matcher(withoutComments(snippet.text()));
                while (words.find()) {
                    if (libraryTypes.contains(words.group(1))) {
                        used.add(words.group(1));
                    }
                }
                used.removeAll(imported);
                used.removeAll(declared(snippet.text()));
                if (!used.isEmpty()) {
                    missing.add(page + ":" + snippet.line() + " uses " + used + " without importing them");
                }
            }
        }
        assertThat(missing).as("Java snippets without their imports").isEmpty();
    }

    /** README.md and the Markdown pages of docs/, as paths from the repository root. */
    static List<String> pages() throws IOException {
        List<String> pages = new ArrayList<>(List.of("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.map(path -> "docs/" + path.getFileName()).filter(name -> name.endsWith(".md")).sorted().forEach(pages::add);
        }
        assertThat(pages).as("pages under " + ROOT.toAbsolutePath().normalize()).contains("docs/getting-started.md", "docs/security.md");
        return pages;
    }

    /** A fenced code block: its language, its first line number, the marker line before it (or null), its text. */
    record Snippet(String language, int line, String marker, String text) {}

    static List<Snippet> blocks(String page) throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve(page));
        List<Snippet> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("```")) {
                continue;
            }
            String language = lines.get(i).substring(3).trim();
            String marker = i > 0 && MARKER.matcher(lines.get(i - 1).trim()).matches() ? lines.get(i - 1).trim() : null;
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).startsWith("```")) {
                end++;
            }
            blocks.add(new Snippet(language, i + 2, marker, String.join("\n", lines.subList(i + 1, end))));
            i = end;
        }
        return blocks;
    }

    /** The file as a snippet shows it: without a Java file's package line, and without trailing newlines. */
    static String comparable(String path, String content) {
        String text = content.replace("\r\n", "\n");
        if (path.endsWith(".java")) {
            text = text.replaceFirst("\\Apackage [\\w.]+;\n\n?", "");
        }
        return text.stripTrailing();
    }

    /** The first line where the docs and the file part, with both line numbers. */
    static String firstDifference(String file, String docs, String page, int firstLine) {
        List<String> expected = file.lines().toList();
        List<String> actual = docs.lines().toList();
        int i = 0;
        while (i < expected.size() && i < actual.size() && expected.get(i).equals(actual.get(i))) {
            i++;
        }
        return "\n  file: " + (i < expected.size() ? "'" + expected.get(i) + "'" : "(ends)")
                + "\n  " + page + ":" + (firstLine + i) + ": " + (i < actual.size() ? "'" + actual.get(i) + "'" : "(ends)");
    }

    /** Whether the excerpt's lines occur consecutively in the text, each compared without leading whitespace. */
    static boolean containsLines(String text, String excerpt) {
        List<String> haystack = text.lines().map(String::strip).toList();
        List<String> needle = excerpt.lines().map(String::strip).toList();
        for (int start = 0; start + needle.size() <= haystack.size(); start++) {
            if (haystack.subList(start, start + needle.size()).equals(needle)) {
                return true;
            }
        }
        return false;
    }

    /** The simple names of the public types in the library's main sources. */
    private static Set<String> libraryTypes() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        for (String module : List.of("idempotency-core", "idempotency-jdbc-store", "idempotency-redis-store",
                "idempotency-spring-boot-starter")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                for (Path file : files.filter(path -> path.toString().endsWith(".java")).toList()) {
                    String name = file.getFileName().toString().replace(".java", "");
                    if (!name.equals("package-info") && Files.readString(file).contains("public ")) {
                        names.add(name);
                    }
                }
            }
        }
        assertThat(names).as("the library's types").contains("Idempotent", "IdempotencyEngine");
        return names;
    }

    /** Types the snippet declares itself (class, record, interface, enum), which need no import. */
    private static Set<String> declared(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher declarations = Pattern.compile("\\b(?:class|record|interface|enum) ([A-Z]\\w*)").matcher(text);
        while (declarations.find()) {
            names.add(declarations.group(1));
        }
        return names;
    }

    private static String withoutComments(String text) {
        return text.replaceAll("//[^\n]*", "").replaceAll("(?s)/\\*.*?\\*/", "");
    }
}

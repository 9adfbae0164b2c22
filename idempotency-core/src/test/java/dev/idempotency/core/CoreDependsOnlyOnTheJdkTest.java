package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core is meant to be embedded anywhere, so its main code may import only the JDK, itself and JSpecify's nullness
 * annotations (which have no behaviour and no dependencies).
 */
class CoreDependsOnlyOnTheJdkTest {

    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);

    @Test
    void mainSourcesImportOnlyJavaTheCoreItselfAndNullnessAnnotations() throws IOException {
        Path sources = Path.of("src/main/java");
        assertThat(sources).isDirectory();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(files).hasSizeGreaterThan(20);
        for (Path file : files) {
            Matcher imports = IMPORT.matcher(Files.readString(file));
            while (imports.find()) {
                assertThat(imports.group(1)).as("import in %s", file).matches("(java|dev\\.idempotency\\.core|org\\.jspecify\\.annotations)\\..*");
            }
        }
    }
}

package dev.idempotency.benchmarks;

import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PgbenchScriptsTest {

    @Test
    void scriptsSendTheDialectsStatementsVerbatim() {
        assertThatCode(() -> PgbenchScripts.check(Path.of("pgbench"))).doesNotThrowAnyException();
    }
}

package dev.idempotency.jdbc;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Prints how long the contract suite's 64-thread, 200-key claim race took on the database under test. */
final class RaceTimer implements BeforeTestExecutionCallback, AfterTestExecutionCallback {

    private static final String RACE = "concurrentClaimsHaveExactlyOneWinner";

    private final Supplier<String> databaseName;
    private long started;

    RaceTimer(Supplier<String> databaseName) {
        this.databaseName = databaseName;
    }

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        started = System.nanoTime();
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getRequiredTestMethod().getName().equals(RACE)) {
            System.out.printf("%s: 64 threads x 200 keys claim race took %d ms%n", databaseName.get(),
                    (System.nanoTime() - started) / 1_000_000);
        }
    }
}

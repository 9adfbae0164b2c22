package dev.idempotency.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** When the starter falls back to memory, its WARN names the one piece missing for a shared store. */
@ExtendWith(OutputCaptureExtension.class)
class StoreFallbackWarningTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyJdbcStoreAutoConfiguration.class,
                    IdempotencyInMemoryStoreAutoConfiguration.class, IdempotencyAutoConfiguration.class))
            .withPropertyValues("idempotency.purge.enabled=false");

    @Test
    void withoutTheJdbcStoreJarTheWarningNamesIt(CapturedOutput output) {
        runner.withClassLoader(new FilteredClassLoader("dev.idempotency.jdbc")).run(context -> {
            assertThat(context).hasSingleBean(InMemoryIdempotencyStore.class);
            assertThat(output).contains("because idempotency-jdbc-store is not on the classpath");
        });
    }

    @Test
    void withTheJarButNoDataSourceTheWarningNamesTheDataSource(CapturedOutput output) {
        runner.run(context -> {
            assertThat(context).hasSingleBean(InMemoryIdempotencyStore.class);
            assertThat(output).contains("idempotency-jdbc-store is on the classpath but the application has no DataSource")
                    .doesNotContain("not on the classpath");
        });
    }

    @Test
    void withSeveralDataSourcesAndNoneMarkedTheWarningNamesThem(CapturedOutput output) {
        runner.withBean("orders", DataSource.class, SimpleDriverDataSource::new)
                .withBean("reports", DataSource.class, SimpleDriverDataSource::new)
                .run(context -> {
                    assertThat(context).hasSingleBean(InMemoryIdempotencyStore.class);
                    assertThat(output).contains("none of the application's 2 DataSources [orders, reports] is marked for it")
                            .contains("@IdempotencyDataSource");
                });
    }

    @Test
    void memoryAskedForIsAnInfoLineNotAWarning(CapturedOutput output) {
        runner.withPropertyValues("idempotency.store.type=memory").run(context -> {
            assertThat(context).hasSingleBean(InMemoryIdempotencyStore.class);
            assertThat(output).contains("as idempotency.store.type=memory says").doesNotContain("WARN");
            assertThat(output).contains("Idempotency keys are kept in the in-memory store (at most 100000 records");
        });
    }
}

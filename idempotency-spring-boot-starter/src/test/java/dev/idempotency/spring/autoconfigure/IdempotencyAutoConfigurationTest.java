package dev.idempotency.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.PrincipalScopeResolver;
import dev.idempotency.spring.metrics.MicrometerIdempotencyListener;
import dev.idempotency.spring.purge.IdempotencyPurgeJob;
import dev.idempotency.spring.web.IdempotencyFilter;
import dev.idempotency.spring.web.IdempotentHandlerResolver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.type.MethodMetadata;
import org.springframework.core.type.classreading.MetadataReaderFactory;
import org.springframework.core.type.classreading.SimpleMetadataReaderFactory;
import org.springframework.util.unit.DataSize;

@ExtendWith(OutputCaptureExtension.class)
class IdempotencyAutoConfigurationTest {

    static final List<Class<?>> AUTO_CONFIGURATIONS = List.of(IdempotencyJdbcStoreAutoConfiguration.class,
            IdempotencyInMemoryStoreAutoConfiguration.class, IdempotencyAutoConfiguration.class,
            IdempotencyMetricsAutoConfiguration.class, IdempotencyWebAutoConfiguration.class,
            IdempotencyPurgeAutoConfiguration.class, IdempotencyObservationAutoConfiguration.class,
            IdempotencyHealthAutoConfiguration.class, IdempotencyBoot3HealthAutoConfiguration.class,
            IdempotencyEndpointAutoConfiguration.class,
            IdempotentMethodAutoConfiguration.class);

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AUTO_CONFIGURATIONS.toArray(Class<?>[]::new)));

    private final ApplicationContextRunner plain = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AUTO_CONFIGURATIONS.toArray(Class<?>[]::new)));

    @Test
    void everyAutoConfigurationIsRegisteredInTheImportsFile() throws Exception {
        String imports = new String(new ClassPathResource(
                "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports").getContentAsByteArray());
        for (Class<?> type : AUTO_CONFIGURATIONS) {
            assertThat(imports).contains(type.getName());
            assertThat(type).hasAnnotation(AutoConfiguration.class);
        }
    }

    @Test
    void everyAutoConfiguredBeanBacksOffToAUserBean() throws Exception {
        // Read from the class files: each health auto-configuration's methods name types of one Boot line only, which
        // reflection could not load on the other.
        MetadataReaderFactory classFiles = new SimpleMetadataReaderFactory();
        List<String> missing = new ArrayList<>();
        for (Class<?> type : AUTO_CONFIGURATIONS) {
            for (MethodMetadata method : classFiles.getMetadataReader(type.getName()).getAnnotationMetadata()
                    .getAnnotatedMethods(Bean.class.getName())) {
                if (!method.isAnnotated(ConditionalOnMissingBean.class.getName())) {
                    missing.add(type.getSimpleName() + "." + method.getMethodName());
                }
            }
        }
        assertThat(missing).as("@Bean methods without @ConditionalOnMissingBean").isEmpty();
    }

    @Test
    void defaultsInAWebApplication(CapturedOutput output) {
        web.run(context -> {
            assertThat(context).hasSingleBean(IdempotencyEngine.class)
                    .hasSingleBean(InMemoryIdempotencyStore.class)
                    .hasSingleBean(IdempotencyFilter.class)
                    .hasSingleBean(IdempotentHandlerResolver.class)
                    .hasSingleBean(IdempotencyPurgeJob.class)
                    .hasSingleBean(IdempotencyProperties.class)
                    .doesNotHaveBean(MicrometerIdempotencyListener.class);
            assertThat(context.getBean(IdempotencyScopeResolver.class)).isInstanceOf(PrincipalScopeResolver.class);
            assertThat(context.getBean(IdempotencyPurgeJob.class).isRunning()).isTrue();
            IdempotencyEngine engine = context.getBean(IdempotencyEngine.class);
            assertThat(engine.defaultTtl()).isEqualTo(Duration.ofHours(24));
            assertThat(engine.lease()).isEqualTo(Duration.ofSeconds(30));
        });
        assertThat(output).contains("WARN").contains("only works for a single application instance");
    }

    @Test
    void outsideAWebApplicationThereIsNoFilter() {
        plain.run(context -> assertThat(context).hasSingleBean(IdempotencyEngine.class)
                .doesNotHaveBean(IdempotencyFilter.class)
                .doesNotHaveBean(IdempotencyScopeResolver.class));
    }

    @Test
    void withoutSpringMvcThereIsNoFilter() {
        web.withClassLoader(new FilteredClassLoader("org.springframework.web.servlet"))
                .run(context -> assertThat(context).hasSingleBean(IdempotencyEngine.class).doesNotHaveBean(IdempotencyFilter.class));
    }

    @Test
    void disabledTurnsEverythingOff() {
        web.withPropertyValues("idempotency.enabled=false").withBean(SimpleMeterRegistry.class)
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyEngine.class)
                        .doesNotHaveBean(IdempotencyStore.class)
                        .doesNotHaveBean(IdempotencyFilter.class)
                        .doesNotHaveBean(IdempotencyScopeResolver.class)
                        .doesNotHaveBean(IdempotencyPurgeJob.class)
                        .doesNotHaveBean(MicrometerIdempotencyListener.class));
    }

    @Test
    void userStoreReplacesTheInMemoryStore(CapturedOutput output) {
        IdempotencyStore store = new InMemoryIdempotencyStore();
        web.withBean("myStore", IdempotencyStore.class, () -> store).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyStore.class);
            assertThat(EngineStoreProbe.writesTo(context.getBean(IdempotencyEngine.class), store)).isTrue();
        });
        assertThat(output).doesNotContain("only works for a single application instance");
    }

    @Test
    void userEngineReplacesTheAutoConfiguredOne() {
        web.withBean("myEngine", IdempotencyEngine.class, () -> IdempotencyEngine.builder(new InMemoryIdempotencyStore()).build())
                .run(context -> {
                    assertThat(context).hasSingleBean(IdempotencyEngine.class).hasBean("myEngine");
                    assertThat(context.getBean(IdempotencyFilter.class)).isNotNull();
                });
    }

    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class MarkedResolver {
        @Bean
        @dev.idempotency.spring.DefaultIdempotencyScopeResolver
        IdempotencyScopeResolver myResolver() {
            return request -> "tenant";
        }
    }

    @Test
    void userFilterScopeResolverHandlerResolverAndPurgeJobWin() {
        // A scope resolver replaces the default only when it is marked as the default; see DefaultScopeResolverTest.
        web.withUserConfiguration(MarkedResolver.class)
                .withBean("myHandlerResolver", IdempotentHandlerResolver.class, () -> mock(IdempotentHandlerResolver.class))
                .withBean("myPurgeJob", IdempotencyPurgeJob.class,
                        () -> new IdempotencyPurgeJob(IdempotencyEngine.builder(new InMemoryIdempotencyStore()).build(), Duration.ofHours(1), Duration.ofHours(1), 10))
                .run(context -> {
                    assertThat(context).hasSingleBean(IdempotencyScopeResolver.class).hasBean("myResolver")
                            .hasSingleBean(IdempotentHandlerResolver.class).hasBean("myHandlerResolver")
                            .hasSingleBean(IdempotencyPurgeJob.class).hasBean("myPurgeJob");
                });
        web.withBean("myFilter", IdempotencyFilter.class, () -> mock(IdempotencyFilter.class))
                .run(context -> assertThat(context).hasSingleBean(IdempotencyFilter.class).hasBean("myFilter"));
    }

    @Test
    void metricsListenerWhenAMeterRegistryExistsAndItReachesTheEngine() {
        web.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasSingleBean(MicrometerIdempotencyListener.class);
            assertThat(context.getBeansOfType(IdempotencyListener.class)).hasSize(1);
        });
        web.withBean(SimpleMeterRegistry.class)
                .withBean("myListener", MicrometerIdempotencyListener.class, () -> new MicrometerIdempotencyListener(new SimpleMeterRegistry()))
                .run(context -> assertThat(context).hasSingleBean(MicrometerIdempotencyListener.class).hasBean("myListener"));
        web.withBean(SimpleMeterRegistry.class).withClassLoader(new FilteredClassLoader(MeterRegistry.class))
                .run(context -> assertThat(context).doesNotHaveBean(MicrometerIdempotencyListener.class));
    }

    @Test
    void purgeJobCanBeDisabled() {
        web.withPropertyValues("idempotency.purge.enabled=false")
                .run(context -> assertThat(context).hasSingleBean(IdempotencyEngine.class).doesNotHaveBean(IdempotencyPurgeJob.class));
    }

    @Test
    void memoryStoreTypeIsHonouredAndJdbcTypeWithoutADataSourceFailsStartup() {
        web.withPropertyValues("idempotency.store.type=memory")
                .run(context -> assertThat(context).hasSingleBean(InMemoryIdempotencyStore.class));
        web.withPropertyValues("idempotency.store.type=jdbc")
                .run(context -> assertThat(context).hasFailed());
    }

    @Test
    void propertiesBindWithTheirDefaultsAndOverrides() {
        web.run(context -> {
            IdempotencyProperties p = context.getBean(IdempotencyProperties.class);
            assertThat(p.isEnabled()).isTrue();
            assertThat(p.getHeaderName()).isEqualTo("Idempotency-Key");
            assertThat(p.getTtl()).isEqualTo(Duration.ofHours(24));
            assertThat(p.getLease()).isEqualTo(Duration.ofSeconds(30));
            assertThat(p.getHeartbeatInterval()).isNull();
            assertThat(p.getMethods()).containsExactly("POST", "PATCH");
            assertThat(p.getMaxKeyLength()).isEqualTo(255);
            assertThat(p.getMaxRequestSize()).isEqualTo(DataSize.ofMegabytes(1));
            assertThat(p.getMaxResponseSize()).isEqualTo(DataSize.ofMegabytes(1));
            assertThat(p.getInFlight().getBehavior()).isEqualTo(IdempotencyProperties.InFlightBehavior.REJECT);
            assertThat(p.getReplayHeaders()).contains("Content-Type", "Location", "ETag").doesNotContain("Set-Cookie");
            assertThat(p.getStatus().getKeyInUse()).isEqualTo(409);
            assertThat(p.getStatus().getKeyReused()).isEqualTo(422);
            assertThat(p.getAnonymous()).isEqualTo(IdempotencyProperties.AnonymousPolicy.REJECT);
            assertThat(p.getStatus().getPrincipalRequired()).isEqualTo(401);
            assertThat(p.isFailOpen()).isFalse();
            assertThat(p.getStore().getType()).isEqualTo(IdempotencyProperties.StoreType.AUTO);
            assertThat(p.getJdbc().getTableName()).isEqualTo("idempotency_record");
            assertThat(p.getJdbc().getInitializeSchema()).isEqualTo(IdempotencyProperties.InitializeSchema.EMBEDDED);
            assertThat(p.getPurge().getInterval()).isEqualTo(Duration.ofHours(1));
            assertThat(p.getPurge().getBatchSize()).isEqualTo(1000);
        });
        web.withPropertyValues("idempotency.header-name=X-Key", "idempotency.ttl=2h", "idempotency.lease=10s",
                        "idempotency.heartbeat-interval=2s", "idempotency.methods=POST,PUT", "idempotency.max-key-length=64",
                        "idempotency.max-request-size=2MB", "idempotency.max-response-size=512KB",
                        "idempotency.in-flight.behavior=wait", "idempotency.in-flight.wait-timeout=3s",
                        "idempotency.replay-headers=Content-Type", "idempotency.status.key-in-use=429",
                        "idempotency.fail-open=true", "idempotency.store.type=memory", "idempotency.jdbc.table-name=app.keys",
                        "idempotency.jdbc.initialize-schema=always", "idempotency.purge.interval=5m",
                        "idempotency.purge.batch-size=50", "idempotency.release-statuses=429", "idempotency.store-server-errors=true")
                .run(context -> {
                    IdempotencyProperties p = context.getBean(IdempotencyProperties.class);
                    assertThat(p.getHeaderName()).isEqualTo("X-Key");
                    assertThat(p.getTtl()).isEqualTo(Duration.ofHours(2));
                    assertThat(p.getHeartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(p.getMethods()).containsExactly("POST", "PUT");
                    assertThat(p.getMaxKeyLength()).isEqualTo(64);
                    assertThat(p.getMaxRequestSize()).isEqualTo(DataSize.ofMegabytes(2));
                    assertThat(p.getMaxResponseSize()).isEqualTo(DataSize.ofKilobytes(512));
                    assertThat(p.getInFlight().getBehavior()).isEqualTo(IdempotencyProperties.InFlightBehavior.WAIT);
                    assertThat(p.getInFlight().getWaitTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(p.getReplayHeaders()).containsExactly("Content-Type");
                    assertThat(p.getStatus().getKeyInUse()).isEqualTo(429);
                    assertThat(p.isFailOpen()).isTrue();
                    assertThat(p.getJdbc().getTableName()).isEqualTo("app.keys");
                    assertThat(p.getJdbc().getInitializeSchema()).isEqualTo(IdempotencyProperties.InitializeSchema.ALWAYS);
                    assertThat(p.getPurge().getBatchSize()).isEqualTo(50);
                    assertThat(p.getReleaseStatuses()).containsExactly(429);
                    assertThat(p.isStoreServerErrors()).isTrue();
                    IdempotencyEngine engine = context.getBean(IdempotencyEngine.class);
                    assertThat(engine.defaultTtl()).isEqualTo(Duration.ofHours(2));
                    assertThat(engine.lease()).isEqualTo(Duration.ofSeconds(10));
                });
    }

    @Test
    void configurationMetadataDescribesEveryProperty() throws Exception {
        String metadata = new String(new ClassPathResource("META-INF/spring-configuration-metadata.json").getContentAsByteArray());
        for (String name : Arrays.asList("idempotency.enabled", "idempotency.header-name", "idempotency.ttl", "idempotency.lease",
                "idempotency.max-response-size", "idempotency.in-flight.behavior", "idempotency.jdbc.initialize-schema",
                "idempotency.purge.batch-size", "idempotency.status.key-reused", "idempotency.fail-open",
                "idempotency.anonymous", "idempotency.status.principal-required")) {
            assertThat(metadata).contains("\"name\": \"" + name + "\"");
        }
        assertThat(metadata).contains("\"description\"");
    }
}

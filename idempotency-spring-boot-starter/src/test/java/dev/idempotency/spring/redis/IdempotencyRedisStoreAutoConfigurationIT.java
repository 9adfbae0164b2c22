package dev.idempotency.spring.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.redis.RedisIdempotencyStore;
import dev.idempotency.redis.TestRedis;
import dev.idempotency.spring.SpringBootLine;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyJdbcStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyPurgeAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyRedisStoreAutoConfiguration;
import dev.idempotency.spring.purge.IdempotencyPurgeJob;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Redis store auto-configuration against a real Redis (found as {@link TestRedis} says). */
class IdempotencyRedisStoreAutoConfigurationIT {

    private static TestRedis redis;

    @BeforeAll
    static void locate() {
        redis = TestRedis.locate();
    }

    @AfterAll
    static void close() {
        redis.close();
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SpringBootLine.DATA_SOURCE_AUTO_CONFIGURATION,
                        SpringBootLine.DATA_REDIS_AUTO_CONFIGURATION, IdempotencyJdbcStoreAutoConfiguration.class,
                        IdempotencyRedisStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                        IdempotencyAutoConfiguration.class, IdempotencyPurgeAutoConfiguration.class))
                .withPropertyValues("spring.data.redis.url=" + redis.url(),
                        "idempotency.redis.key-prefix=" + redis.keyPrefix(),
                        "spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                        "spring.datasource.generate-unique-name=false");
    }

    private static void executeOnce(IdempotencyEngine engine, IdempotencyKey key) {
        engine.execute(IdempotentRequest.of(key, RequestFingerprint.of("f")), ResultCodecs.utf8(), work -> "done");
    }

    @Test
    void redisTypeUsesTheRedisStoreOverBootsConnectionEvenWithADataSource() {
        runner().withPropertyValues("idempotency.store.type=redis").run(context -> {
            assertThat(context).hasSingleBean(RedisIdempotencyStore.class);
            assertThat(context).doesNotHaveBean(JdbcIdempotencyStore.class);
            assertThat(context).doesNotHaveBean(IdempotencyPurgeJob.class);
            IdempotencyKey key = IdempotencyKey.of("autoconfig-" + UUID.randomUUID(), "k");
            executeOnce(context.getBean(IdempotencyEngine.class), key);
            assertThat(context.getBean(IdempotencyStore.class).find(key)).hasValueSatisfying(
                    record -> assertThat(record.isCompleted()).isTrue());
            assertThat(context.getBean(IdempotencyStore.class).toString()).contains("Redis store")
                    .contains(redis.keyPrefix());
        });
    }

    @Test
    void autoPicksTheJdbcStoreWhenADataSourceExistsAndRedisOtherwise() {
        runner().run(context -> assertThat(context).hasSingleBean(JdbcIdempotencyStore.class)
                .doesNotHaveBean(RedisIdempotencyStore.class));
        runner().withClassLoader(new FilteredClassLoader("dev.idempotency.jdbc")).run(context -> {
            assertThat(context).hasSingleBean(RedisIdempotencyStore.class);
            assertThat(context).doesNotHaveBean(InMemoryIdempotencyStore.class);
        });
    }

    @Test
    void keyPrefixAndWaitForReplicasComeFromTheProperties() {
        runner().withPropertyValues("idempotency.store.type=redis", "idempotency.redis.wait-replicas=2",
                "idempotency.redis.wait-timeout=100ms").run(context -> assertThat(
                        context.getBean(IdempotencyStore.class).toString()).contains("waits for 2 replicas"));
    }

    @Test
    void backsOffToTheApplicationsStore() {
        runner().withPropertyValues("idempotency.store.type=redis").withUserConfiguration(OwnStore.class)
                .run(context -> {
                    assertThat(context).hasSingleBean(IdempotencyStore.class);
                    assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(InMemoryIdempotencyStore.class);
                    assertThat(context).doesNotHaveBean(IdempotencyRedisConnection.class);
                });
    }

    @Test
    void redisTypeWithoutARedisConnectionFactoryFailsTheStartup() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(IdempotencyJdbcStoreAutoConfiguration.class,
                        IdempotencyRedisStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class,
                        IdempotencyAutoConfiguration.class))
                .withPropertyValues("idempotency.store.type=redis")
                .run(context -> assertThat(context).getFailure().hasMessageContaining(IdempotencyStore.class.getName()));
    }

    @Test
    void memoryTypeLeavesRedisAlone() {
        runner().withPropertyValues("idempotency.store.type=memory").run(context -> assertThat(context)
                .hasSingleBean(InMemoryIdempotencyStore.class).doesNotHaveBean(RedisIdempotencyStore.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStore {

        @Bean
        IdempotencyStore ownStore() {
            return new InMemoryIdempotencyStore(100);
        }
    }
}

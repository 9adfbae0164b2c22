package dev.idempotency.spring.autoconfigure;

import dev.idempotency.spring.IdempotencyProperties.StoreType;
import java.util.Locale;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when {@code idempotency.store.type} is {@code auto} (the default) or the given type. */
abstract class OnStoreTypeCondition extends SpringBootCondition {

    private static final String PROPERTY = "idempotency.store.type";

    private final StoreType type;

    OnStoreTypeCondition(StoreType type) {
        this.type = type;
    }

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        String configured = context.getEnvironment().getProperty(PROPERTY, "auto").trim().toUpperCase(Locale.ROOT);
        if (configured.equals(StoreType.AUTO.name()) || configured.equals(type.name())) {
            return ConditionOutcome.match(PROPERTY + " is " + configured.toLowerCase(Locale.ROOT));
        }
        return ConditionOutcome.noMatch(PROPERTY + " is " + configured.toLowerCase(Locale.ROOT));
    }

    static final class Jdbc extends OnStoreTypeCondition {
        Jdbc() {
            super(StoreType.JDBC);
        }
    }

    static final class Redis extends OnStoreTypeCondition {
        Redis() {
            super(StoreType.REDIS);
        }
    }

    static final class Memory extends OnStoreTypeCondition {
        Memory() {
            super(StoreType.MEMORY);
        }
    }
}

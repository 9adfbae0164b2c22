package dev.idempotency.examples.crashtest;

import dev.idempotency.examples.payments.PaymentsApplication;
import jakarta.servlet.http.HttpServletRequest;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The payments service with a crash point, for a crash test that runs it in a JVM of its own: the request whose
 * {@code Idempotency-Key} is {@code CRASH_KEY} stops at the phase boundary {@code CRASH_AT}, prints
 * {@value #CRASH_POINT}{@code <key> <boundary>} and waits there for the test's SIGKILL. The boundaries are where the
 * payment's transactions begin and commit:
 * <ul>
 *   <li>{@code before-commit-1}, {@code after-commit-1}: around the commit of the payment and its {@code created}
 *       recovery point;</li>
 *   <li>{@code after-gateway}: when the second transaction begins, so the gateway has answered and nothing of the
 *       charge is recorded;</li>
 *   <li>{@code before-commit-2}, {@code after-commit-2}: around the commit of the charge and its {@code charged}
 *       recovery point; after it, only the stored response is missing.</li>
 * </ul>
 * Kept out of the application's package, so its component scan never finds this configuration.
 */
public final class CrashingPaymentsApp {

    public static final String CRASH_POINT = "CRASH-POINT ";

    private CrashingPaymentsApp() {}

    public static void main(String[] args) {
        SpringApplication.run(new Class<?>[] {PaymentsApplication.class, CrashPoints.class}, args);
    }

    @Configuration(proxyBeanMethods = false)
    static class CrashPoints {

        @Bean
        static BeanPostProcessor crashingTransactionManager() {
            String key = System.getenv("CRASH_KEY");
            String boundary = System.getenv("CRASH_AT");
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String beanName) {
                    if (key != null && bean instanceof PlatformTransactionManager manager) {
                        return new CrashingTransactionManager(manager, key, boundary);
                    }
                    return bean;
                }
            };
        }
    }

    /** Counts the transactions of the crash key's request and stops at the chosen boundary. */
    static final class CrashingTransactionManager implements PlatformTransactionManager {

        private final PlatformTransactionManager delegate;
        private final String key;
        private final String boundary;
        private final AtomicInteger begun = new AtomicInteger();
        private final AtomicInteger committed = new AtomicInteger();

        CrashingTransactionManager(PlatformTransactionManager delegate, String key, String boundary) {
            this.delegate = delegate;
            this.key = key;
            this.boundary = boundary;
        }

        @Override
        public TransactionStatus getTransaction(TransactionDefinition definition) {
            if (crashRequest() && begun.incrementAndGet() == 2) {
                stopIfAt("after-gateway");
            }
            return delegate.getTransaction(definition);
        }

        @Override
        public void commit(TransactionStatus status) {
            int n = crashRequest() ? committed.incrementAndGet() : 0;
            if (n > 0) {
                stopIfAt("before-commit-" + n);
            }
            delegate.commit(status);
            if (n > 0) {
                stopIfAt("after-commit-" + n);
            }
        }

        @Override
        public void rollback(TransactionStatus status) {
            delegate.rollback(status);
        }

        private boolean crashRequest() {
            if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
                HttpServletRequest request = attributes.getRequest();
                return key.equals(request.getHeader("Idempotency-Key"));
            }
            return false;
        }

        private void stopIfAt(String reached) {
            if (!reached.equals(boundary)) {
                return;
            }
            System.out.println(CRASH_POINT + key + " " + reached);
            System.out.flush();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted at the crash point " + reached, e);
            }
        }
    }
}

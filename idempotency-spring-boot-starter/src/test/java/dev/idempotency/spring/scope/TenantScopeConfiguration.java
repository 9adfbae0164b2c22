package dev.idempotency.spring.scope;

import dev.idempotency.spring.DefaultIdempotencyScopeResolver;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.PrincipalScopeResolver;
import java.util.regex.Pattern;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The tenant resolver of docs/configuration.md ("Scope keys per tenant"), word for word. */
@Configuration(proxyBeanMethods = false)
class TenantScopeConfiguration {

    private static final Pattern TENANT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** Keys per tenant and caller: the tenant from X-Tenant-Id, the caller from Spring Security. */
    @Bean
    @DefaultIdempotencyScopeResolver
    IdempotencyScopeResolver tenantScope() {
        PrincipalScopeResolver callers = new PrincipalScopeResolver();
        return request -> {
            String caller = callers.resolveScope(request);   // null when anonymous
            String tenant = request.getHeader("X-Tenant-Id");
            if (caller == null || tenant == null || !TENANT_ID.matcher(tenant).matches()) {
                return null;                                 // no identity: 401 principal-required
            }
            return IdempotencyScopeResolver.scope("tenant", tenant + "|" + caller);
        };
    }
}

package dev.idempotency.spring.health.boot3;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.health.AdditionalHealthEndpointPath;
import org.springframework.boot.actuate.health.HealthEndpointGroup;
import org.springframework.boot.actuate.health.HealthEndpointGroups;
import org.springframework.boot.actuate.health.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.actuate.health.HttpCodeStatusMapper;
import org.springframework.boot.actuate.health.StatusAggregator;
import org.springframework.core.Ordered;

/**
 * Adds one health contributor to the {@code readiness} group, whatever else the group includes, for Spring Boot 3,
 * whose health API is in {@code spring-boot-actuator} (the twin of
 * {@link dev.idempotency.spring.health.ReadinessGroupMembership} for Boot 4). Runs after Boot's own post-processor
 * that creates the availability groups; without a readiness group (probes disabled and not on Kubernetes) it changes
 * nothing.
 */
public class ReadinessGroupMembership implements HealthEndpointGroupsPostProcessor, Ordered {

    static final String READINESS = "readiness";

    private final String contributor;

    public ReadinessGroupMembership(String contributor) {
        this.contributor = contributor;
    }

    @Override
    public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
        HealthEndpointGroup readiness = groups.get(READINESS);
        if (readiness == null) {
            return groups;
        }
        Map<String, HealthEndpointGroup> named = new LinkedHashMap<>();
        for (String name : groups.getNames()) {
            named.put(name, groups.get(name));
        }
        named.put(READINESS, new WithMember(readiness, contributor));
        return HealthEndpointGroups.of(groups.getPrimary(), named);
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    private record WithMember(HealthEndpointGroup group, String member) implements HealthEndpointGroup {

        @Override
        public boolean isMember(String name) {
            return member.equals(name) || group.isMember(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return group.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return group.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return group.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return group.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return group.getAdditionalPath();
        }
    }
}

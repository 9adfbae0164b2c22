package dev.idempotency.examples.payments;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * HTTP Basic with two demo users and an operator. The idempotency starter scopes keys by the authenticated principal, so alice and
 * bob may both send {@code Idempotency-Key: 1} and get two independent payments.
 *
 * <p>The actuator is for the {@code admin} user (role {@code ADMIN}) only: {@code /actuator/idempotency} reads and
 * repairs any caller's keys, so alice and bob get 403. {@code /actuator/health} answers everyone with the overall
 * status, for load balancers and probes; its details (the store's health among them) are shown to {@code ADMIN} only
 * ({@code management.endpoint.health.roles} in application.yml).
 *
 * <p>Spring Security's filters run before the idempotency filter, so a request that fails authentication is
 * answered with 401 before any key is claimed or stored.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
        return http
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers("/error").permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers("/actuator/**").hasRole("ADMIN")
                        .anyRequest().authenticated())
                .httpBasic(Customizer.withDefaults())
                // A stateless JSON API for non-browser clients: no session, no cookie, credentials on every request,
                // so nothing for a cross-site request to ride on. With CSRF on, every POST without a CSRF token is
                // rejected (401/403). Why, and when to keep CSRF on: docs/security.md.
                .csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .build();
    }

    /**
     * Demo users with plain-text passwords ({@code {noop}}) so that every request of a retry storm does not pay
     * for a password hash; a real service keeps hashed credentials in a user store.
     */
    @Bean
    UserDetailsService demoUsers() {
        return new InMemoryUserDetailsManager(
                User.withUsername("alice").password("{noop}alice-pass").roles("USER").build(),
                User.withUsername("bob").password("{noop}bob-pass").roles("USER").build(),
                User.withUsername("admin").password("{noop}admin-pass").roles("ADMIN").build());
    }
}

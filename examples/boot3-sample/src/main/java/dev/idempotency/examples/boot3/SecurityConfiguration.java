package dev.idempotency.examples.boot3;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    SecurityFilterChain api(HttpSecurity http) throws Exception {
        return http
                .authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
                .httpBasic(Customizer.withDefaults())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                // CSRF forges requests that ride on credentials a browser adds by itself: a session cookie, or
                // HTTP Basic credentials it remembers. This API keeps no session, and its clients (servers, apps,
                // scripts) send their credentials with every request, so CSRF is off for it. Keep it on for
                // browser logins: formLogin(), session cookies. See docs/security.md.
                .csrf(csrf -> csrf.disable())
                .build();
    }

    @Bean
    UserDetailsService users() {
        // Demo users with plain-text passwords; a real application keeps hashed ones in its user store.
        return new InMemoryUserDetailsManager(
                User.withUsername("alice").password("{noop}alice-pass").roles("USER").build(),
                User.withUsername("bob").password("{noop}bob-pass").roles("USER").build());
    }
}

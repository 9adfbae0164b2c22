package dev.idempotency.spring.web;

import dev.idempotency.spring.Idempotent;
import org.springframework.context.annotation.Scope;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** A prototype-scoped controller: every request gets a new instance, and so a new {@code HandlerMethod}. */
@RestController
@Scope("prototype")
public class PrototypeController {

    @PostMapping("/proto")
    @Idempotent
    public String proto() {
        return "proto";
    }
}

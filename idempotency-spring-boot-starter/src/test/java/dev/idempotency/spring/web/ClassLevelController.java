package dev.idempotency.spring.web;

import dev.idempotency.spring.Idempotent;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@link Idempotent} on the class protects every handler method. */
@RestController
@Idempotent(required = false)
public class ClassLevelController {

    final AtomicInteger calls = new AtomicInteger();

    @PostMapping("/class-level")
    public String handle() {
        return "class level #" + calls.incrementAndGet();
    }
}

package dev.idempotency.examples.boot3;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class Boot3SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(Boot3SampleApplication.class, args);
    }
}

package dev.idempotency.examples.payments.gateway;

import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Shows the fake gateway's ledger, so a demo can count charges. Not something a real service would expose. */
@RestController
class GatewayController {

    private final FakePaymentGateway gateway;

    GatewayController(FakePaymentGateway gateway) {
        this.gateway = gateway;
    }

    @GetMapping("/gateway/charges")
    List<GatewayCharge> charges() {
        return gateway.charges();
    }
}

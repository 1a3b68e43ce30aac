package dev.turnbridge.signaling.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OriginPolicyTest {

    @ParameterizedTest(name = "allowed={0} origin={1} host={2} -> {3}")
    @CsvSource(nullValues = "NULL", value = {
            "'',                      NULL,                   127.0.0.1:8080, true",
            "'',                      http://127.0.0.1:8080,  127.0.0.1:8080, true",
            "'',                      https://Example.org,    example.org,    true",
            "'',                      http://127.0.0.1:8081,  127.0.0.1:8080, false",
            "'',                      http://evil.example,    127.0.0.1:8080, false",
            "'',                      null,                   127.0.0.1:8080, false",
            "'',                      http://127.0.0.1:8080,  NULL,           false",
            "*,                       http://evil.example,    127.0.0.1:8080, true",
            "https://app.example.org, https://app.example.org, other:1,       true",
            "https://app.example.org, https://APP.example.org/, other:1,      true",
            "https://app.example.org, http://app.example.org, other:1,        false",
            "https://app.example.org, http://127.0.0.1:8080,  127.0.0.1:8080, false",
    })
    void decides(String allowed, String origin, String host, boolean expected) {
        OriginPolicy policy = new OriginPolicy(allowed.isEmpty() ? List.of() : List.of(allowed));

        assertThat(policy.allows(origin, host)).isEqualTo(expected);
    }
}

package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnbridge.config.LoggingSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

class LogSetupTest {
    private final PrintStream err = System.err;

    @AfterEach
    void restore() throws Exception {
        System.setErr(err);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        new ContextInitializer(context).autoConfig();
        SLF4JBridgeHandler.uninstall();
    }

    @Test
    void jsonFormatWritesOneJsonObjectPerLineAndQuietsIce4j() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();

        LogSetup.apply(new LoggingSettings("json", "info"));
        LoggerFactory.getLogger("dev.turnbridge.test").info("relay listening on {}", "127.0.0.1:3478");
        LoggerFactory.getLogger("dev.turnbridge.test").debug("not at info");
        // ice4j logs through java.util.logging: bridged, and below WARN dropped
        java.util.logging.Logger.getLogger("org.ice4j.stack.StunStack").log(Level.INFO, "ice4j chatter");
        java.util.logging.Logger.getLogger("org.ice4j.stack.StunStack").log(Level.WARNING, "ice4j warning");

        String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertThat(lines).hasSize(2);
        JsonNode first = new ObjectMapper().readTree(lines[0]);
        assertThat(first.get("level").asText()).isEqualTo("INFO");
        assertThat(first.get("loggerName").asText()).isEqualTo("dev.turnbridge.test");
        assertThat(first.get("formattedMessage").asText()).isEqualTo("relay listening on 127.0.0.1:3478");
        JsonNode second = new ObjectMapper().readTree(lines[1]);
        assertThat(second.get("level").asText()).isEqualTo("WARN");
        assertThat(second.get("formattedMessage").asText()).isEqualTo("ice4j warning");
    }
}

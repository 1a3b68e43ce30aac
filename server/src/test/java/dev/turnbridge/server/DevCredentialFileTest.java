package dev.turnbridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dev credential of a server without a configured secret reaches a 0600 file, not stdout. */
class DevCredentialFileTest {

    @Test
    void writesAWorkingCredentialThatOnlyItsOwnerCanRead(@TempDir Path dir) throws Exception {
        Secret secret = new Secret("generated-for-this-run");
        Instant now = Instant.parse("2026-12-03T10:00:00Z");

        Path file = DevCredentialFile.write(secret, dir, now);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        String username = lines.get(0).substring("username=".length());
        String password = lines.get(1).substring("password=".length());
        var expected = RestCredentials.issue(secret, "dev", Duration.ofHours(24), now);
        assertThat(username).isEqualTo(expected.username());
        assertThat(password).isEqualTo(expected.password());
        assertThat(lines.get(2)).isEqualTo("expires=" + now.plus(Duration.ofHours(24)));
    }

    @Test
    void eachRunGetsItsOwnFile(@TempDir Path dir) throws Exception {
        Path a = DevCredentialFile.write(new Secret("one"), dir, Instant.now());
        Path b = DevCredentialFile.write(new Secret("two"), dir, Instant.now());
        assertThat(a).isNotEqualTo(b);
        assertThat(Files.readString(a)).isNotEqualTo(Files.readString(b));
    }
}

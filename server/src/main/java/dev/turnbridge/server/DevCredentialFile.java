package dev.turnbridge.server;

import dev.turnbridge.config.Secret;
import dev.turnbridge.credentials.RestCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;

/**
 * The development credential minted when no secret is configured. It goes to a file only its owner can read
 * (mode 0600, created with that mode, so it is never readable by others even for a moment), never to stdout:
 * under systemd stdout is the journal, which other users and log shippers read.
 */
final class DevCredentialFile {
    static final Duration LIFETIME = Duration.ofHours(24);

    private DevCredentialFile() {
    }

    /**
     * Mints a credential for user id {@code dev} with {@code secret} and writes it as {@code username=},
     * {@code password=} and {@code expires=} lines to a new file in {@code directory}; returns its path.
     */
    static Path write(Secret secret, Path directory, Instant now) throws IOException {
        var c = RestCredentials.issue(secret, "dev", LIFETIME, now);
        Path file = Files.createTempFile(directory, "turnbridge-dev-credential-", ".txt",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, "username=" + c.username() + "\npassword=" + c.password() + "\nexpires="
                + c.expiresAt() + "\n", StandardCharsets.UTF_8);
        return file;
    }
}

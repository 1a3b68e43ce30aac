package dev.turnbridge.signaling.room;

import dev.turnbridge.config.SignalingSettings;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Optional;

/**
 * Room codes: {@value SignalingSettings#ROOM_CODE_LENGTH} characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L), so they survive being read aloud or typed from a phone. 31^8 is about 8.5e11 codes.
 */
public final class RoomCode {

    static final String ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    private RoomCode() {
    }

    public static String generate(SecureRandom random) {
        char[] code = new char[SignalingSettings.ROOM_CODE_LENGTH];
        for (int i = 0; i < code.length; i++) {
            code[i] = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
        }
        return new String(code);
    }

    /** The canonical (upper-case) form of a code typed by a user, or empty when it cannot be a room code. */
    public static Optional<String> normalize(String text) {
        if (text == null || text.length() != SignalingSettings.ROOM_CODE_LENGTH) {
            return Optional.empty();
        }
        String upper = text.toUpperCase(Locale.ROOT);
        for (int i = 0; i < upper.length(); i++) {
            if (ALPHABET.indexOf(upper.charAt(i)) < 0) {
                return Optional.empty();
            }
        }
        return Optional.of(upper);
    }
}

package dev.turnbridge.signaling.access;

import dev.turnbridge.config.SignalingSettings;

/** {@code signaling.access}: who may create rooms, join them and get TURN credentials. */
public enum AccessMode {
    /** A bearer JWT from the app's identity provider (or a join token minted by this server). */
    JWT(SignalingSettings.ACCESS_JWT),
    /** Only the API key creates rooms and mints join tokens; browsers join with those. */
    API_KEY(SignalingSettings.ACCESS_API_KEY),
    /** Anyone: development only. */
    OPEN(SignalingSettings.ACCESS_OPEN);

    private final String setting;

    AccessMode(String setting) {
        this.setting = setting;
    }

    /** As spelled in the settings, and as the metric tag. */
    public String setting() {
        return setting;
    }

    /** The mode for a validated {@code signaling.access} value. */
    public static AccessMode of(String setting) {
        for (AccessMode m : values()) {
            if (m.setting.equals(setting)) {
                return m;
            }
        }
        throw new IllegalArgumentException("signaling.access: " + setting);
    }
}

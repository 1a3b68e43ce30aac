package dev.turnbridge.config;

/**
 * Log output on standard error.
 *
 * @param format {@code plain} (one line per event) or {@code json} (one JSON object per line, for log shippers)
 * @param level  root level: {@code trace}, {@code debug}, {@code info}, {@code warn} or {@code error}
 */
public record LoggingSettings(String format, String level) {
}

package dev.turnbridge.relay.stun;

/** Decodes what this server encoded: a failure here is a bug in the encoder or the decoder. */
public final class StunDecoderRoundTrip {
    private StunDecoderRoundTrip() {
    }

    public static StunMessage decodeOrFail(byte[] encoded) {
        try {
            StunMessage m = StunDecoder.decode(encoded, encoded.length);
            if (!m.attributesWellFormed()) {
                throw new AssertionError("own encoding has malformed attributes: " + m);
            }
            if (m.unknownComprehensionRequired().length > 0) {
                throw new AssertionError("own encoding has unknown attributes: " + m);
            }
            return m;
        } catch (StunParseException e) {
            throw new AssertionError("own encoding does not decode: " + e.getMessage());
        }
    }
}

package dev.turnbridge.relay.transport;

import java.io.IOException;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * Our side of one DTLS handshake (RFC 7350 §4: TURN over DTLS is TLS' rules over datagrams): DTLS 1.2 only,
 * ECDHE with AES-GCM or ChaCha20-Poly1305 and nothing else (no CBC, no static RSA), signed with the TLS
 * listeners' certificate. Bouncy Castle uses one such object per handshake.
 */
final class DtlsServerPeer extends DefaultTlsServer {
    private static final int[] ECDSA_SUITES = {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    };
    private static final int[] RSA_SUITES = {
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    };

    private final BcTlsCrypto crypto;
    private final DtlsCredentials credentials;
    private final int handshakeTimeoutMillis;

    DtlsServerPeer(BcTlsCrypto crypto, DtlsCredentials credentials, int handshakeTimeoutMillis) {
        super(crypto);
        this.crypto = crypto;
        this.credentials = credentials;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        // only the suites our key can sign for: BC would otherwise pick ECDSA suites for an RSA key
        return TlsUtils.getSupportedCipherSuites(crypto, credentials.ecdsa() ? ECDSA_SUITES : RSA_SUITES);
    }

    @Override
    public int getHandshakeTimeoutMillis() {
        return handshakeTimeoutMillis;
    }

    @Override
    protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
        return signer(SignatureAlgorithm.ecdsa);
    }

    @Override
    protected TlsCredentialedSigner getRSASignerCredentials() throws IOException {
        return signer(SignatureAlgorithm.rsa);
    }

    private TlsCredentialedSigner signer(short signatureAlgorithm) throws IOException {
        if (credentials.ecdsa() != (signatureAlgorithm == SignatureAlgorithm.ecdsa)) {
            throw new TlsFatalAlert(AlertDescription.internal_error);
        }
        SignatureAndHashAlgorithm algorithm = TlsUtils.chooseSignatureAndHashAlgorithm(context,
                context.getSecurityParametersHandshake().getClientSigAlgs(), signatureAlgorithm);
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, credentials.key(),
                credentials.chain(), algorithm);
    }
}

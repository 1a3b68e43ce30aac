package dev.turnbridge.config;

/**
 * Where relayed transport addresses come from.
 *
 * @param address         local IP the relay sockets bind to ({@code 0.0.0.0} binds all)
 * @param addressV6       local IPv6 address the relay sockets of IPv6 allocations bind to ({@code ::} binds all);
 *                        empty serves no IPv6 allocations (440 Address Family not Supported, RFC 8656 §7.2)
 * @param externalAddress IP advertised in XOR-RELAYED-ADDRESS when the host sits behind 1:1 NAT (cloud hosts);
 *                        empty to advertise the bound address (or, for a wildcard bind, the address the
 *                        client reached); it applies to allocations of its own family
 * @param portMin         lowest relay port, inclusive
 * @param portMax         highest relay port, inclusive
 * @param rfc5766Channels accept ChannelBind numbers up to 0x7FFF as RFC 5766 did; RFC 8656 §12 allows only
 *                        0x4000-0x4FFF (the rest collides with other protocols in RFC 7983 demultiplexing), but
 *                        older clients such as coturn 4.6's turnutils_uclient still pick from the old range
 * @param tcpAllocations  serve RFC 6062 TCP allocations (REQUESTED-TRANSPORT TCP over a TCP or TLS connection:
 *                        Connect, ConnectionBind, ConnectionAttempt); off answers 442 as for any other transport
 * @param socketReceiveBuffer SO_RCVBUF in bytes of UDP relay sockets and RFC 6062 peer connections: room for a
 *                        peer's burst while the event loop is busy; 0 keeps the kernel's default
 *                        ({@code net.core.rmem_default}, and TCP autotuning); the kernel caps it at
 *                        {@code net.core.rmem_max}
 * @param socketSendBuffer SO_SNDBUF in bytes of the same sockets; 0 keeps the kernel's default; capped at
 *                        {@code net.core.wmem_max}
 * @param nodes           which relay a member's {@code iceServers} name: {@code self} (this node's), or
 *                        {@code redis}: every node publishes its relay's URIs and load in the Redis of
 *                        {@code signaling.registry: redis}, and members get the least-loaded live relay
 */
public record RelaySettings(String address, String addressV6, String externalAddress, int portMin, int portMax,
        boolean rfc5766Channels, boolean tcpAllocations, int socketReceiveBuffer, int socketSendBuffer,
        String nodes) {

    /** The values of {@code relay.nodes}. */
    public static final String NODES_SELF = "self";
    public static final String NODES_REDIS = "redis";

    /** Default socket buffers ({@code relay.socket-receive-buffer}, {@code relay.socket-send-buffer}). */
    public static final int DEFAULT_SOCKET_RECEIVE_BUFFER = 2 * 1024 * 1024;
    public static final int DEFAULT_SOCKET_SEND_BUFFER = 0;

    /** With the default socket buffers, naming this node's relay. */
    public RelaySettings(String address, String addressV6, String externalAddress, int portMin, int portMax,
            boolean rfc5766Channels, boolean tcpAllocations) {
        this(address, addressV6, externalAddress, portMin, portMax, rfc5766Channels, tcpAllocations,
                DEFAULT_SOCKET_RECEIVE_BUFFER, DEFAULT_SOCKET_SEND_BUFFER);
    }

    /** Naming this node's relay. */
    public RelaySettings(String address, String addressV6, String externalAddress, int portMin, int portMax,
            boolean rfc5766Channels, boolean tcpAllocations, int socketReceiveBuffer, int socketSendBuffer) {
        this(address, addressV6, externalAddress, portMin, portMax, rfc5766Channels, tcpAllocations,
                socketReceiveBuffer, socketSendBuffer, NODES_SELF);
    }
}

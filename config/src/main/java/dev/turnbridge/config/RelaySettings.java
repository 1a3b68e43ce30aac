package dev.turnbridge.config;

/**
 * Where relayed transport addresses come from.
 *
 * @param address         local IP the relay sockets bind to ({@code 0.0.0.0} binds all)
 * @param externalAddress IP advertised in XOR-RELAYED-ADDRESS when the host sits behind 1:1 NAT (cloud hosts);
 *                        empty to advertise the bound address (or, for a wildcard bind, the address the
 *                        client reached)
 * @param portMin         lowest relay port, inclusive
 * @param portMax         highest relay port, inclusive
 */
public record RelaySettings(String address, String externalAddress, int portMin, int portMax) {
}

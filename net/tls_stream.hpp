#pragma once
// TLS 1.3 over a connected socket, mutually authenticated. Either both
// sides present a certificate signed by the job CA and each checks that the
// peer's certificate names the host it expects that rank to run on, or
// (--tls-ephemeral) each presents a self-signed certificate made for this
// job and the other accepts exactly the one whose fingerprint that rank
// published.
//
// OpenSSL does all of TLS: handshake, key schedule and the record layer.
// Where the kernel offers TLS (the `tls` module) and OpenSSL can hand it a
// direction's keys, that direction's records are sealed or opened by the
// kernel (kTLS); the stream reports which.
//
// A refusal names its cause on both sides: the refusing side from its
// certificate check, the refused side from the alert it receives and what it
// knows of its own certificate (see RefusalTest in tests/net/test_connection.cpp).
#include <memory>
#include <string>

#include "net/kernel_tls.hpp"
#include "net/stream.hpp"
#include "net/tls_context.hpp"

namespace ringsim {

// `server`: this side accepted the TCP connection. `expected_host`: the name
// the peer's certificate must carry (CA contexts). `expected_fingerprint`:
// the peer's certificate fingerprint (pinning contexts; required there).
// `peer`: how errors name the peer.
std::unique_ptr<Stream> make_tls_stream(Socket socket, const TlsContext& context, bool server,
                                        const std::string& expected_host, std::string peer,
                                        const std::string& expected_fingerprint = "");

// The 7 bytes a TLS endpoint sends in clear to a peer that spoke plaintext:
// a fatal unexpected_message alert record.
inline constexpr unsigned char kPlaintextAlert[7] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a};

}  // namespace ringsim

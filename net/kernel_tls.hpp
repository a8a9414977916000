#pragma once
// Kernel TLS (kTLS): whether this kernel can take a TLS connection's
// records over, and how the report names what protected them.
#include <string>

namespace ringsim {

// Whether this kernel can take over TLS records: a TCP socket accepts the
// `tls` upper-layer protocol (probed once per process on a loopback pair).
bool kernel_offers_tls();

// What protected a TLS transport's records, for the report: e.g.
// "OpenSSL 3.0.19 27 Jan 2026 record layer" or "... ; kernel TLS: send".
std::string describe_tls_records(bool kernel_send, bool kernel_receive);

}  // namespace ringsim

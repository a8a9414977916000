#pragma once
// AES-GCM for TLS records from Intel's ipsec-mb library, offered to OpenSSL
// as a provider. OpenSSL 3.0 (Debian 12) has no VAES / AVX-512 AES-GCM and
// seals records at ~4.5 GB/s per core here; ipsec-mb's VAES code does ~22.
// Only the symmetric record cipher changes: the handshake, certificates,
// key schedule and record format stay OpenSSL's, so the wire is standard
// TLS 1.3 and interoperates with a peer that uses OpenSSL's own AES-GCM.
#include <string>

namespace ringsim {

// How TLS records are sealed: "auto" (ipsec-mb when it is built in and the
// CPU has VAES + VPCLMULQDQ, else OpenSSL) or "openssl" (always OpenSSL's).
// Throws InputError for anything else.
void check_tls_crypto_choice(const std::string& choice);

// The property query an SSL_CTX is created with so that it prefers the
// fast AES-GCM ("" means OpenSSL's own). Registers and loads the provider
// into OpenSSL's default library context on first use; thread-safe.
std::string tls_property_query(const std::string& choice);

// What seals the records under `choice`, for reports: "intel-ipsec-mb
// 1.3.0 (VAES AVX-512)" or "openssl 3.0.x".
std::string tls_crypto_description(const std::string& choice);

// The provider's name, as it appears in property queries.
inline constexpr const char* kFastGcmProvider = "ringsim-gcm";

}  // namespace ringsim

#pragma once
// A key both ends of a link already hold, for TLS 1.3 with an external
// pre-shared key (RFC 8446 2.2, psk_dhe_ke: the PSK authenticates, an
// ephemeral ECDHE exchange still gives forward secrecy). Each side proves it
// holds the key (the client by the PSK binder, the server by its Finished);
// no certificate is sent or accepted.
//
// Keys are derived from a job secret with HKDF-SHA256 (RFC 5869), one per
// purpose, so that the control channel's key and the checkpoint key differ
// and neither reveals the secret.
#include <string>
#include <vector>

namespace ringsim {

struct PresharedKey {
  std::vector<unsigned char> key;  // 32 bytes
  std::string identity;            // a label both sides expect; not secret
};

// HKDF-SHA256(secret, salt "ringsim job secret v1", info `purpose`), 32
// bytes. Throws InputError when `secret` is shorter than 32 characters.
std::vector<unsigned char> derive_job_key(const std::string& secret, const std::string& purpose);

// Makes `ssl_ctx` (an SSL_CTX*, TLS 1.3 only) offer and accept `psk`;
// `psk` must outlive the context.
void use_preshared_key(void* ssl_ctx, const PresharedKey* psk);

}  // namespace ringsim

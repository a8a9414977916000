// A second provider that offers AES-128-GCM, loaded before OpenSSL's default
// provider: an unqualified fetch may then hand out the second provider's
// cipher (OpenSSL leaves the choice unspecified; 3.0 picks the first
// loaded), but ringsim's TLS contexts must still seal records with the
// default provider's (kTlsPropertyQuery). Its own process: the providers
// are loaded before anything else touches OpenSSL.
#include <gtest/gtest.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <atomic>

#include "net/tls_stream.hpp"
#include "tests/tls_pair.hpp"

using namespace ringsim;

namespace {

// How often anything asked the decoy for a cipher context (it would then
// have sealed or opened records).
std::atomic<int> decoy_contexts{0};
int decoy_context_storage = 0;

void* decoy_new(void*) {
  ++decoy_contexts;
  return &decoy_context_storage;
}
void decoy_free(void*) {}
int decoy_init(void*, const unsigned char*, size_t, const unsigned char*, size_t, const OSSL_PARAM[]) { return 1; }
int decoy_update(void*, unsigned char*, size_t* outl, size_t, const unsigned char*, size_t inl) {
  *outl = inl;  // (would leave the bytes unprotected)
  return 1;
}
int decoy_final(void*, unsigned char*, size_t* outl, size_t) {
  *outl = 0;
  return 1;
}
// What OpenSSL asks of an AES-128-GCM implementation when it fetches one.
int decoy_get_params(OSSL_PARAM params[]) {
  OSSL_PARAM* p = nullptr;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE))) OSSL_PARAM_set_uint(p, EVP_CIPH_GCM_MODE);
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN))) OSSL_PARAM_set_size_t(p, 16);
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN))) OSSL_PARAM_set_size_t(p, 12);
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE))) OSSL_PARAM_set_size_t(p, 1);
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD))) OSSL_PARAM_set_int(p, 1);
  return 1;
}
int decoy_ctx_params(void*, const OSSL_PARAM[]) { return 1; }
int decoy_get_ctx_params(void*, OSSL_PARAM[]) { return 1; }

using Fn = void (*)();
const OSSL_DISPATCH decoy_cipher[] = {{OSSL_FUNC_CIPHER_NEWCTX, reinterpret_cast<Fn>(&decoy_new)},
                                      {OSSL_FUNC_CIPHER_FREECTX, reinterpret_cast<Fn>(&decoy_free)},
                                      {OSSL_FUNC_CIPHER_ENCRYPT_INIT, reinterpret_cast<Fn>(&decoy_init)},
                                      {OSSL_FUNC_CIPHER_DECRYPT_INIT, reinterpret_cast<Fn>(&decoy_init)},
                                      {OSSL_FUNC_CIPHER_UPDATE, reinterpret_cast<Fn>(&decoy_update)},
                                      {OSSL_FUNC_CIPHER_FINAL, reinterpret_cast<Fn>(&decoy_final)},
                                      {OSSL_FUNC_CIPHER_GET_PARAMS, reinterpret_cast<Fn>(&decoy_get_params)},
                                      {OSSL_FUNC_CIPHER_SET_CTX_PARAMS, reinterpret_cast<Fn>(&decoy_ctx_params)},
                                      {OSSL_FUNC_CIPHER_GET_CTX_PARAMS, reinterpret_cast<Fn>(&decoy_get_ctx_params)},
                                      {0, nullptr}};
const OSSL_ALGORITHM decoy_ciphers[] = {
    {"AES-128-GCM:id-aes128-GCM:2.16.840.1.101.3.4.1.6", "provider=decoy", decoy_cipher, "a decoy"},
    {nullptr, nullptr, nullptr, nullptr}};

const OSSL_ALGORITHM* decoy_query(void*, int operation, int* no_cache) {
  *no_cache = 0;
  return operation == OSSL_OP_CIPHER ? decoy_ciphers : nullptr;
}
const OSSL_DISPATCH decoy_provider[] = {{OSSL_FUNC_PROVIDER_QUERY_OPERATION, reinterpret_cast<Fn>(&decoy_query)},
                                        {0, nullptr}};

int decoy_init_provider(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out, void** context) {
  *out = decoy_provider;
  *context = &decoy_context_storage;
  return 1;
}

std::string provider_of(const char* algorithm, const char* properties) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, algorithm, properties);
  const std::string name = cipher ? OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(cipher)) : "(none)";
  EVP_CIPHER_free(cipher);
  return name;
}

}  // namespace

TEST(ProviderChoice, TlsSealsWithTheDefaultProviderWhenAnotherIsLoadedFirst) {
  // The hazard is real in this process: an unqualified fetch gets the decoy.
  EXPECT_EQ(provider_of("AES-128-GCM", nullptr), "decoy");
  EXPECT_EQ(provider_of("AES-128-GCM", kTlsPropertyQuery), "default");
  const int before = decoy_contexts;
  const TlsContext a_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256");
  const TlsContext b_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256");
  const ringsim::testing::TlsPair pair =
      ringsim::testing::connect_tls_pair(a_ctx, "a", b_ctx, "b", a_ctx.fingerprint(), b_ctx.fingerprint());
  pair.client->wait_ready(Millis(10000));
  pair.server->wait_ready(Millis(10000));
  std::vector<std::byte> out(100000);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>(i * 7);
  EXPECT_TRUE(ringsim::testing::send_across(*pair.client, *pair.server, out) == out);
  EXPECT_TRUE(ringsim::testing::send_across(*pair.server, *pair.client, out) == out);
  EXPECT_EQ(pair.client->totals().cipher_suite, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(decoy_contexts - before, 0) << "the decoy's AES-128-GCM sealed or opened records";
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // The decoy first, then the default provider (loading any provider
  // explicitly stops OpenSSL from loading the default one by itself).
  OSSL_PROVIDER* decoy = nullptr;
  OSSL_PROVIDER* standard = nullptr;
  if (OSSL_PROVIDER_add_builtin(nullptr, "decoy", &decoy_init_provider) != 1 ||
      !(decoy = OSSL_PROVIDER_load(nullptr, "decoy")) || !(standard = OSSL_PROVIDER_load(nullptr, "default"))) {
    std::fprintf(stderr, "cannot load the providers\n");
    return 1;
  }
  const int result = RUN_ALL_TESTS();
  // Unloaded, so that the sanitized suite's leak check sees none.
  OSSL_PROVIDER_unload(standard);
  OSSL_PROVIDER_unload(decoy);
  return result;
}

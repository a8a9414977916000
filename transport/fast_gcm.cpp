#include "transport/fast_gcm.hpp"

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <cstring>

#include "common/errors.hpp"

#ifdef RINGSIM_HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>
#endif

namespace ringsim {

namespace {

std::string openssl_description() { return OpenSSL_version(OPENSSL_VERSION); }

}  // namespace

void check_tls_crypto_choice(const std::string& choice) {
  if (choice != "auto" && choice != "openssl")
    throw InputError("unknown --tls-crypto '" + choice + "'; expected auto or openssl");
}

#ifndef RINGSIM_HAVE_IPSEC_MB

std::string tls_property_query(const std::string& choice) {
  check_tls_crypto_choice(choice);
  return "";
}
std::string tls_crypto_description(const std::string& choice) {
  check_tls_crypto_choice(choice);
  return openssl_description();
}

#else

namespace {

// ---- ipsec-mb's GCM functions keep all per-message state in the caller's
// gcm_context_data, so they are safe to call from every connection's
// thread at once.

struct GcmFunctions {
  void (*pre)(const void* key, gcm_key_data* expanded);
  void (*init)(const gcm_key_data*, gcm_context_data*, const std::uint8_t* iv, const std::uint8_t* aad,
               std::uint64_t aad_length);
  void (*enc_update)(const gcm_key_data*, gcm_context_data*, std::uint8_t* out, const std::uint8_t* in,
                     std::uint64_t length);
  void (*dec_update)(const gcm_key_data*, gcm_context_data*, std::uint8_t* out, const std::uint8_t* in,
                     std::uint64_t length);
  void (*enc_finalize)(const gcm_key_data*, gcm_context_data*, std::uint8_t* tag, std::uint64_t tag_length);
  void (*dec_finalize)(const gcm_key_data*, gcm_context_data*, std::uint8_t* tag, std::uint64_t tag_length);
};

struct IpsecMb {
  bool fast = false;  // the CPU runs ipsec-mb's VAES / AVX-512 GCM
  GcmFunctions aes128{}, aes256{};
};

}  // namespace
}  // namespace ringsim

// ipsec-mb's VAES / AVX-512 GCM entry points. The library exports them but
// its header reaches them only through a fully initialised IMB_MGR, and
// initialising one (init_mb_mgr_auto) sets up every algorithm and touched
// 3.1 MiB per process here, for six function pointers. Declared weak: a
// library without them leaves them null, and ringsim uses OpenSSL's GCM.
#define RINGSIM_GCM_ENTRY_POINTS(bits)                                                                             \
  void aes_gcm_pre_##bits##_vaes_avx512(const void*, gcm_key_data*) __attribute__((weak));                        \
  void aes_gcm_init_##bits##_vaes_avx512(const gcm_key_data*, gcm_context_data*, const std::uint8_t*,             \
                                         const std::uint8_t*, std::uint64_t) __attribute__((weak));               \
  void aes_gcm_enc_##bits##_update_vaes_avx512(const gcm_key_data*, gcm_context_data*, std::uint8_t*,             \
                                               const std::uint8_t*, std::uint64_t) __attribute__((weak));         \
  void aes_gcm_dec_##bits##_update_vaes_avx512(const gcm_key_data*, gcm_context_data*, std::uint8_t*,             \
                                               const std::uint8_t*, std::uint64_t) __attribute__((weak));         \
  void aes_gcm_enc_##bits##_finalize_vaes_avx512(const gcm_key_data*, gcm_context_data*, std::uint8_t*,           \
                                                 std::uint64_t) __attribute__((weak));                            \
  void aes_gcm_dec_##bits##_finalize_vaes_avx512(const gcm_key_data*, gcm_context_data*, std::uint8_t*,           \
                                                 std::uint64_t) __attribute__((weak));
extern "C" {
RINGSIM_GCM_ENTRY_POINTS(128)
RINGSIM_GCM_ENTRY_POINTS(256)
}
#undef RINGSIM_GCM_ENTRY_POINTS

namespace ringsim {
namespace {

const IpsecMb& ipsec_mb() {
  static const IpsecMb instance = [] {
    IpsecMb mb;
    // Allocating a manager detects the CPU's features (and touches only
    // the manager itself, which is freed again).
    IMB_MGR* detector = alloc_mb_mgr(0);
    if (!detector) return mb;
    const std::uint64_t features = detector->features;
    free_mb_mgr(detector);
    // Older code paths (SSE / AVX2) are no faster than OpenSSL's stitched
    // AES-NI GCM, so only the VAES one is worth a second implementation.
    const std::uint64_t needed = IMB_CPUFLAGS_AVX512 | IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ;
    if ((features & needed) != needed) return mb;
#define RINGSIM_GCM_FUNCTIONS(bits)                                                                 \
  GcmFunctions {                                                                                    \
    &aes_gcm_pre_##bits##_vaes_avx512, &aes_gcm_init_##bits##_vaes_avx512,                          \
        &aes_gcm_enc_##bits##_update_vaes_avx512, &aes_gcm_dec_##bits##_update_vaes_avx512,         \
        &aes_gcm_enc_##bits##_finalize_vaes_avx512, &aes_gcm_dec_##bits##_finalize_vaes_avx512      \
  }
    mb.aes128 = RINGSIM_GCM_FUNCTIONS(128);
    mb.aes256 = RINGSIM_GCM_FUNCTIONS(256);
#undef RINGSIM_GCM_FUNCTIONS
    const auto complete = [](const GcmFunctions& f) {
      return f.pre && f.init && f.enc_update && f.dec_update && f.enc_finalize && f.dec_finalize;
    };
    // A library that does not export them: OpenSSL's AES-GCM, as on a CPU
    // without VAES.
    mb.fast = complete(mb.aes128) && complete(mb.aes256);
    return mb;
  }();
  return instance;
}

// ---- The cipher, in the shape OpenSSL's provider interface expects. The
// TLS 1.3 record layer drives it per record as: init(key) once, then for
// each record init(nonce), [set tag], update(NULL, header) for the AAD,
// update(out, in), final, [get tag].

constexpr std::size_t kIvLength = 12;  // TLS 1.3 nonces; other lengths are refused
constexpr std::size_t kTagLength = 16;
constexpr std::size_t kMaxAad = 64;  // TLS 1.3 uses 5 bytes

struct GcmCipher {
  gcm_key_data key;  // expanded key + GHASH powers (64-byte aligned type)
  gcm_context_data state;
  const GcmFunctions* functions = nullptr;
  std::size_t key_bytes = 0;
  bool encrypting = true;
  bool key_set = false;
  bool iv_set = false;     // a fresh nonce awaits its message
  bool started = false;    // ipsec-mb's init ran (AAD is complete)
  bool tag_ready = false;  // encrypt: the tag of the finished message
  std::size_t tag_length = kTagLength;
  std::uint8_t iv[kIvLength] = {};
  std::uint8_t aad[kMaxAad] = {};
  std::size_t aad_length = 0;
  std::uint8_t tag[kTagLength] = {};  // encrypt: computed; decrypt: expected
  bool expected_tag_set = false;      // decrypt: set after init(iv), before final
};

void* new_cipher(void*, std::size_t key_bytes) {
  auto* cipher = new (std::nothrow) GcmCipher;
  if (!cipher) return nullptr;
  cipher->key_bytes = key_bytes;
  cipher->functions = key_bytes == 16 ? &ipsec_mb().aes128 : &ipsec_mb().aes256;
  return cipher;
}
void* new_cipher_128(void* provider) { return new_cipher(provider, 16); }
void* new_cipher_256(void* provider) { return new_cipher(provider, 32); }

void free_cipher(void* context) {
  auto* cipher = static_cast<GcmCipher*>(context);
  if (!cipher) return;
  OPENSSL_cleanse(cipher, sizeof *cipher);  // key schedule and GHASH key
  delete cipher;
}

void* dup_cipher(void* context) { return new (std::nothrow) GcmCipher(*static_cast<const GcmCipher*>(context)); }

int set_cipher_params(GcmCipher& cipher, const OSSL_PARAM params[]);

int init_cipher(void* context, bool encrypting, const unsigned char* key, std::size_t key_length,
                const unsigned char* iv, std::size_t iv_length, const OSSL_PARAM params[]) {
  auto& cipher = *static_cast<GcmCipher*>(context);
  cipher.encrypting = encrypting;
  if (key) {
    if (key_length != cipher.key_bytes) return 0;
    cipher.functions->pre(key, &cipher.key);
    cipher.key_set = true;
  }
  if (iv) {
    if (iv_length != kIvLength) return 0;
    std::memcpy(cipher.iv, iv, kIvLength);
    cipher.iv_set = true;
    cipher.started = false;
    cipher.aad_length = 0;
    cipher.tag_ready = false;
  }
  return set_cipher_params(cipher, params);
}

int encrypt_init(void* context, const unsigned char* key, std::size_t key_length, const unsigned char* iv,
                 std::size_t iv_length, const OSSL_PARAM params[]) {
  return init_cipher(context, true, key, key_length, iv, iv_length, params);
}
int decrypt_init(void* context, const unsigned char* key, std::size_t key_length, const unsigned char* iv,
                 std::size_t iv_length, const OSSL_PARAM params[]) {
  return init_cipher(context, false, key, key_length, iv, iv_length, params);
}

void start_message(GcmCipher& cipher) {
  if (cipher.started) return;
  cipher.functions->init(&cipher.key, &cipher.state, cipher.iv, cipher.aad, cipher.aad_length);
  cipher.started = true;
}

int update(void* context, unsigned char* out, std::size_t* out_length, std::size_t out_size, const unsigned char* in,
           std::size_t in_length) {
  auto& cipher = *static_cast<GcmCipher*>(context);
  // A nonce is used for one message only: after final, a new init(iv) is due.
  if (!cipher.key_set || !cipher.iv_set) return 0;
  if (in_length == 0) {
    *out_length = 0;
    return 1;
  }
  if (!out) {  // additional authenticated data, before any payload
    if (cipher.started || cipher.aad_length + in_length > kMaxAad) return 0;
    std::memcpy(cipher.aad + cipher.aad_length, in, in_length);
    cipher.aad_length += in_length;
    *out_length = in_length;
    return 1;
  }
  if (out_size < in_length) return 0;
  start_message(cipher);
  (cipher.encrypting ? cipher.functions->enc_update : cipher.functions->dec_update)(&cipher.key, &cipher.state, out, in,
                                                                                    in_length);
  *out_length = in_length;
  return 1;
}

int finish(void* context, unsigned char*, std::size_t* out_length, std::size_t) {
  auto& cipher = *static_cast<GcmCipher*>(context);
  if (!cipher.key_set || !cipher.iv_set) return 0;
  start_message(cipher);
  *out_length = 0;
  cipher.iv_set = false;
  if (cipher.encrypting) {
    cipher.functions->enc_finalize(&cipher.key, &cipher.state, cipher.tag, kTagLength);
    cipher.tag_ready = true;
    return 1;
  }
  if (!cipher.expected_tag_set) return 0;
  std::uint8_t computed[kTagLength];
  cipher.functions->dec_finalize(&cipher.key, &cipher.state, computed, kTagLength);
  const bool authentic = CRYPTO_memcmp(computed, cipher.tag, cipher.tag_length) == 0;
  OPENSSL_cleanse(computed, sizeof computed);
  cipher.expected_tag_set = false;  // each message brings its own
  return authentic ? 1 : 0;
}

// One-shot EVP_Cipher(): data when `in` is given, the final step when not.
int cipher_one_shot(void* context, unsigned char* out, std::size_t* out_length, std::size_t out_size,
                    const unsigned char* in, std::size_t in_length) {
  if (!in) return finish(context, out, out_length, out_size);
  return update(context, out, out_length, out_size, in, in_length);
}

// ---- Parameters.

int get_fixed_params(OSSL_PARAM params[], std::size_t key_bytes) {
  OSSL_PARAM* p;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE)) && !OSSL_PARAM_set_uint(p, EVP_CIPH_GCM_MODE)) return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) && !OSSL_PARAM_set_size_t(p, key_bytes)) return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) && !OSSL_PARAM_set_size_t(p, kIvLength)) return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE)) && !OSSL_PARAM_set_size_t(p, 1)) return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD)) && !OSSL_PARAM_set_int(p, 1)) return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CUSTOM_IV)) && !OSSL_PARAM_set_int(p, 1)) return 0;
  for (const char* flag : {OSSL_CIPHER_PARAM_CTS, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, OSSL_CIPHER_PARAM_HAS_RAND_KEY})
    if ((p = OSSL_PARAM_locate(params, flag)) && !OSSL_PARAM_set_int(p, 0)) return 0;
  return 1;
}
int get_params_128(OSSL_PARAM params[]) { return get_fixed_params(params, 16); }
int get_params_256(OSSL_PARAM params[]) { return get_fixed_params(params, 32); }

const OSSL_PARAM kFixedParams[] = {
    OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, nullptr),        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, nullptr),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, nullptr),     OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, nullptr),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, nullptr),         OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, nullptr),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, nullptr),          OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, nullptr),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, nullptr), OSSL_PARAM_END};
const OSSL_PARAM* gettable_params(void*) { return kFixedParams; }

int get_cipher_params(void* context, OSSL_PARAM params[]) {
  auto& cipher = *static_cast<GcmCipher*>(context);
  OSSL_PARAM* p;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) && !OSSL_PARAM_set_size_t(p, cipher.key_bytes))
    return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) && !OSSL_PARAM_set_size_t(p, kIvLength)) return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAGLEN)) && !OSSL_PARAM_set_size_t(p, cipher.tag_length))
    return 0;
  if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAG))) {
    // Only an encryption that has finished has a tag to give.
    if (!cipher.encrypting || !cipher.tag_ready || p->data_size == 0 || p->data_size > kTagLength) return 0;
    if (!OSSL_PARAM_set_octet_string(p, cipher.tag, p->data_size)) return 0;
  }
  return 1;
}

const OSSL_PARAM kCipherGettable[] = {OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, nullptr),
                                      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, nullptr),
                                      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, nullptr),
                                      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, nullptr, 0), OSSL_PARAM_END};
const OSSL_PARAM* gettable_cipher_params(void*, void*) { return kCipherGettable; }

int set_cipher_params(GcmCipher& cipher, const OSSL_PARAM params[]) {
  if (!params) return 1;
  const OSSL_PARAM* p;
  if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TAG))) {
    // Decrypt: the tag the message must carry. (Encrypt: a tag length only.)
    if (p->data_size == 0 || p->data_size > kTagLength) return 0;
    if (cipher.encrypting) {
      if (p->data) return 0;
      cipher.tag_length = p->data_size;
    } else {
      void* into = cipher.tag;
      std::size_t size = 0;
      if (!OSSL_PARAM_get_octet_string(p, &into, kTagLength, &size)) return 0;
      cipher.tag_length = size;
      cipher.expected_tag_set = true;
    }
  }
  if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_IVLEN))) {
    std::size_t length = 0;
    if (!OSSL_PARAM_get_size_t(p, &length) || length != kIvLength) return 0;
  }
  if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_KEYLEN))) {
    std::size_t length = 0;
    if (!OSSL_PARAM_get_size_t(p, &length) || length != cipher.key_bytes) return 0;
  }
  return 1;
}
int set_cipher_params_entry(void* context, const OSSL_PARAM params[]) {
  return set_cipher_params(*static_cast<GcmCipher*>(context), params);
}

const OSSL_PARAM kCipherSettable[] = {OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, nullptr, 0),
                                      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, nullptr),
                                      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, nullptr), OSSL_PARAM_END};
const OSSL_PARAM* settable_cipher_params(void*, void*) { return kCipherSettable; }

template <class F>
OSSL_DISPATCH entry(int id, F* function) {
  return {id, reinterpret_cast<void (*)()>(function)};
}

#define RINGSIM_GCM_DISPATCH(newctx, get_params)                                                                    \
  {                                                                                                                 \
    entry(OSSL_FUNC_CIPHER_NEWCTX, &newctx), entry(OSSL_FUNC_CIPHER_FREECTX, &free_cipher),                         \
        entry(OSSL_FUNC_CIPHER_DUPCTX, &dup_cipher), entry(OSSL_FUNC_CIPHER_ENCRYPT_INIT, &encrypt_init),           \
        entry(OSSL_FUNC_CIPHER_DECRYPT_INIT, &decrypt_init), entry(OSSL_FUNC_CIPHER_UPDATE, &update),               \
        entry(OSSL_FUNC_CIPHER_FINAL, &finish), entry(OSSL_FUNC_CIPHER_CIPHER, &cipher_one_shot),                   \
        entry(OSSL_FUNC_CIPHER_GET_PARAMS, &get_params), entry(OSSL_FUNC_CIPHER_GETTABLE_PARAMS, &gettable_params), \
        entry(OSSL_FUNC_CIPHER_GET_CTX_PARAMS, &get_cipher_params),                                                 \
        entry(OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS, &gettable_cipher_params),                                       \
        entry(OSSL_FUNC_CIPHER_SET_CTX_PARAMS, &set_cipher_params_entry),                                           \
        entry(OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS, &settable_cipher_params), OSSL_DISPATCH {                       \
      0, nullptr                                                                                                    \
    }                                                                                                               \
  }

const OSSL_DISPATCH kAes128Gcm[] = RINGSIM_GCM_DISPATCH(new_cipher_128, get_params_128);
const OSSL_DISPATCH kAes256Gcm[] = RINGSIM_GCM_DISPATCH(new_cipher_256, get_params_256);
#undef RINGSIM_GCM_DISPATCH

// The names OpenSSL's own provider uses, so that fetches by name or by
// NID (the TLS code asks for "id-aes128-GCM") both find these.
const OSSL_ALGORITHM kCiphers[] = {{"AES-128-GCM:id-aes128-GCM:2.16.840.1.101.3.4.1.6", "provider=ringsim-gcm",
                                    kAes128Gcm, "AES-128-GCM, Intel ipsec-mb"},
                                   {"AES-256-GCM:id-aes256-GCM:2.16.840.1.101.3.4.1.46", "provider=ringsim-gcm",
                                    kAes256Gcm, "AES-256-GCM, Intel ipsec-mb"},
                                   {nullptr, nullptr, nullptr, nullptr}};

const OSSL_ALGORITHM* query_operation(void*, int operation, int* no_cache) {
  *no_cache = 0;
  return operation == OSSL_OP_CIPHER ? kCiphers : nullptr;
}

const OSSL_DISPATCH kProvider[] = {entry(OSSL_FUNC_PROVIDER_QUERY_OPERATION, &query_operation), {0, nullptr}};

int provider_init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out, void** context) {
  *out = kProvider;
  *context = nullptr;
  return 1;
}

// Loaded once; OpenSSL keeps it until exit.
bool fast_gcm_loaded() {
  static const bool loaded = [] {
    if (!ipsec_mb().fast) return false;
    if (OSSL_PROVIDER_add_builtin(nullptr, kFastGcmProvider, &provider_init) != 1) return false;
    // retain_fallbacks = 1: loading this one must not stop OpenSSL from
    // loading its default provider for everything else.
    return OSSL_PROVIDER_try_load(nullptr, kFastGcmProvider, 1) != nullptr;
  }();
  return loaded;
}

}  // namespace

std::string tls_property_query(const std::string& choice) {
  check_tls_crypto_choice(choice);
  // "?": a preference, so every other algorithm still comes from OpenSSL.
  if (choice == "auto" && fast_gcm_loaded()) return std::string("?provider=") + kFastGcmProvider;
  return "";
}

std::string tls_crypto_description(const std::string& choice) {
  if (tls_property_query(choice).empty()) return openssl_description();
  return std::string("intel-ipsec-mb ") + imb_get_version_str() + " (VAES AVX-512)";
}

#endif

}  // namespace ringsim

#pragma once
// OpenSSL BIOs of ringsim's own (a source or a sink over some object of
// ours): the serial socket reader, the record sender and the record
// receiver each make one method and BIOs over their object with these.
#include <openssl/bio.h>

#include <cstddef>

namespace ringsim {

struct BioCallbacks {
  int (*read)(BIO*, char*, std::size_t, std::size_t*) = nullptr;
  int (*write)(BIO*, const char*, std::size_t, std::size_t*) = nullptr;
  long (*control)(BIO*, int, long, void*) = nullptr;
  int (*destroy)(BIO*) = nullptr;
};

// A new method (type: a fresh index | BIO_TYPE_SOURCE_SINK, stored in
// *type when asked) with these callbacks; each kind of BIO makes its one
// method once and keeps it.
BIO_METHOD* new_bio_method(const char* name, const BioCallbacks& callbacks, int* type = nullptr);

// A new BIO of `method` whose data is `object`; null when OpenSSL cannot
// make one.
BIO* new_bio_over(const BIO_METHOD* method, void* object);

}  // namespace ringsim

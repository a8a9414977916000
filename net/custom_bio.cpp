#include "net/custom_bio.hpp"

namespace ringsim {

BIO_METHOD* new_bio_method(const char* name, const BioCallbacks& callbacks, int* type) {
  const int index = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
  if (type) *type = index;
  BIO_METHOD* method = BIO_meth_new(index, name);
  if (!method) return nullptr;
  if (callbacks.read) BIO_meth_set_read_ex(method, callbacks.read);
  if (callbacks.write) BIO_meth_set_write_ex(method, callbacks.write);
  if (callbacks.control) BIO_meth_set_ctrl(method, callbacks.control);
  if (callbacks.destroy) BIO_meth_set_destroy(method, callbacks.destroy);
  return method;
}

BIO* new_bio_over(const BIO_METHOD* method, void* object) {
  BIO* bio = method ? BIO_new(method) : nullptr;
  if (!bio) return nullptr;
  BIO_set_data(bio, object);
  BIO_set_init(bio, 1);
  return bio;
}

}  // namespace ringsim

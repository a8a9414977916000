#include "engine/ring_mode.hpp"

#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "engine/mode_common.hpp"

namespace ringsim {

void timed_wait(const ModeContext& context, Request& request) {
  ScopedTimer timer(*context.wait_seconds);
  request.wait(context.timeout);
}

template <class Scalar>
std::unique_ptr<RingMode<Scalar>> make_ring_mode(const ModeOptions& options, const ModeContext& context) {
  switch (options.mode) {
    case Mode::topk:
      return context.query_partition ? make_query_topk_mode<Scalar>(options, context)
                                     : make_topk_mode<Scalar>(options, context);
    case Mode::threshold:
      return make_threshold_mode<Scalar>(options, context);
    case Mode::full:
      if (context.query_partition) throw InputError("--mode full with --queries is not offered");
      return make_full_mode<Scalar>(context);
  }
  throw InputError("unknown mode " + std::to_string(static_cast<int>(options.mode)));
}

template std::unique_ptr<RingMode<float>> make_ring_mode<float>(const ModeOptions&, const ModeContext&);
template std::unique_ptr<RingMode<double>> make_ring_mode<double>(const ModeOptions&, const ModeContext&);

}  // namespace ringsim

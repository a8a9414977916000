#include "engine/modes/handlers.hpp"

#include <string>

#include "common/errors.hpp"

namespace ringsim {

template <class Scalar>
std::unique_ptr<ResultHandler<Scalar>> make_result_handler(const ModeOptions& options, const ResultContext& context) {
  switch (options.mode) {
    case Mode::topk:
      return context.query_partition ? make_query_topk_handler<Scalar>(options, context)
                                     : make_topk_handler<Scalar>(options, context);
    case Mode::threshold:
      return make_threshold_handler<Scalar>(options, context);
    case Mode::full:
      if (context.query_partition) throw InputError("--mode full with --queries is not offered");
      return make_full_handler<Scalar>(options, context);
  }
  throw InputError("unknown mode " + std::to_string(static_cast<int>(options.mode)));
}

template std::unique_ptr<ResultHandler<float>> make_result_handler<float>(const ModeOptions&, const ResultContext&);
template std::unique_ptr<ResultHandler<double>> make_result_handler<double>(const ModeOptions&, const ResultContext&);

}  // namespace ringsim

#pragma once
// The result handlers, one file each in engine/modes/, for
// make_result_handler (handlers.cpp): a new mode is a new file with its
// factory declared here and chosen there.
#include <memory>

#include "engine/modes/result_handler.hpp"

namespace ringsim {

template <class Scalar>
using HandlerPtr = std::unique_ptr<ResultHandler<Scalar>>;

// Each defined, for float and double, in the handler's own file.
template <class Scalar>
HandlerPtr<Scalar> make_topk_handler(const ModeOptions& options, const ResultContext& context);
template <class Scalar>
HandlerPtr<Scalar> make_threshold_handler(const ModeOptions& options, const ResultContext& context);
template <class Scalar>
HandlerPtr<Scalar> make_full_handler(const ModeOptions& options, const ResultContext& context);
// Queries mode (context.query_partition): top-k lists of the queries; its
// threshold mode is make_threshold_handler's, pairs kept query first.
template <class Scalar>
HandlerPtr<Scalar> make_query_topk_handler(const ModeOptions& options, const ResultContext& context);

}  // namespace ringsim

#include "engine/row_scores.hpp"

#include <algorithm>

#include "common/clock.hpp"
#include "common/phase.hpp"
#include "engine/checkpoint/received_state.hpp"
#include "kernels/normalize.hpp"

namespace ringsim {

template <class Scalar>
double prepare_rows_for_score(RowMatrix<Scalar>& own, Score score, const Communicator& comm, PhaseTimer& timer) {
  PhaseScope phase("load");
  if (score == Score::cosine) {
    auto measured = timer.measure(TimedPhase::normalize);
    normalize_rows(own);
    return kScoreBound;
  }
  double largest = 0;
  for (std::int64_t r = 0; r < own.rows(); ++r) {
    double squared = 0;
    for (std::int64_t c = 0; c < own.cols(); ++c) squared += static_cast<double>(own(r, c)) * own(r, c);
    largest = std::max(largest, squared);
  }
  return dot_score_bound(comm.allreduce_max(largest));
}

template double prepare_rows_for_score<float>(RowMatrix<float>&, Score, const Communicator&, PhaseTimer&);
template double prepare_rows_for_score<double>(RowMatrix<double>&, Score, const Communicator&, PhaseTimer&);

}  // namespace ringsim

#pragma once
// The rows as the score needs them: cosine normalises them; dot keeps them
// and bounds the scores by the largest squared row norm (Cauchy-Schwarz),
// the bound on what a peer or a checkpoint may claim (received_state.hpp).
#include "common/job_config.hpp"
#include "engine/phase_timer.hpp"
#include "kernels/matrix.hpp"
#include "transport/communicator.hpp"

namespace ringsim {

// Collective. Returns the largest |score| a valid result may hold; the time
// spent normalising goes to the timer's normalize phase.
template <class Scalar>
double prepare_rows_for_score(RowMatrix<Scalar>& own, Score score, const Communicator& comm, PhaseTimer& timer);

}  // namespace ringsim

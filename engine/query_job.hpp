#pragma once
// A queries job (--queries): each query row's top-k, or pairs above a
// threshold, among the --input rows (the corpus). The queries are shared
// out (query_input.hpp) and the corpus goes round the ring
// (query_ring.hpp); the output, report and publish steps are the
// all-pairs job's, with the queries as the output's rows.
#include "engine/run_options.hpp"
#include "transport/communicator.hpp"
#include "transport/transport_options.hpp"

namespace ringsim {

template <class Scalar>
void run_query_job(const RunOptions& options, const TransportOptions& transport_options, const Communicator& comm);

}  // namespace ringsim

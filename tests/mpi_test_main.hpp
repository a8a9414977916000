#pragma once
// Shared by the multi-rank GoogleTest binaries: MPI start-up, a scratch
// directory every rank agrees on, and quiet output on ranks other than 0.
#include <gtest/gtest.h>

#include <string>

#include "mpi/mpi_comm.hpp"

namespace ringsim::testing {

MpiComm& world();
// A fresh directory made by rank 0 and known to every rank.
std::string shared_temp_dir(const std::string& tag);
// Rank 0's verdict (empty = pass) on every rank.
std::string agree_on(const std::string& rank0_verdict);

}  // namespace ringsim::testing

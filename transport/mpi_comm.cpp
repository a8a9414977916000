#include "transport/mpi_comm.hpp"

#include <string>

#include "common/errors.hpp"

namespace ringsim {

void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw MpiError(std::string(call) + " failed: " + std::string(text, length));
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = 0;
  check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void MpiSession::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

MpiComm::MpiComm(MPI_Comm comm) : comm_(comm) {
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

void MpiComm::barrier() const { check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

std::int64_t MpiComm::allreduce_max(std::int64_t value) const {
  std::int64_t out = 0;
  check_mpi(MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_MAX, comm_), "MPI_Allreduce");
  return out;
}

std::int64_t MpiComm::allreduce_min(std::int64_t value) const {
  std::int64_t out = 0;
  check_mpi(MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_MIN, comm_), "MPI_Allreduce");
  return out;
}

double MpiComm::allreduce_max(double value) const {
  double out = 0;
  check_mpi(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce");
  return out;
}

std::vector<std::int64_t> MpiComm::allgather(std::int64_t value) const {
  std::vector<std::int64_t> out(size_);
  check_mpi(MPI_Allgather(&value, 1, MPI_INT64_T, out.data(), 1, MPI_INT64_T, comm_), "MPI_Allgather");
  return out;
}

std::vector<std::string> MpiComm::allgather(const std::string& value) const {
  const int length = static_cast<int>(value.size());
  std::vector<int> lengths(size_);
  check_mpi(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm_), "MPI_Allgather");
  std::vector<int> displacements(size_, 0);
  for (int r = 1; r < size_; ++r) displacements[r] = displacements[r - 1] + lengths[r - 1];
  std::string joined(static_cast<std::size_t>(displacements.back() + lengths.back()), '\0');
  check_mpi(MPI_Allgatherv(value.data(), length, MPI_CHAR, joined.data(), lengths.data(), displacements.data(),
                           MPI_CHAR, comm_),
            "MPI_Allgatherv");
  std::vector<std::string> out(size_);
  for (int r = 0; r < size_; ++r) out[r] = joined.substr(displacements[r], lengths[r]);
  return out;
}

std::string MpiComm::broadcast(const std::string& value, int root) const {
  std::int64_t length = static_cast<std::int64_t>(value.size());
  check_mpi(MPI_Bcast(&length, 1, MPI_INT64_T, root, comm_), "MPI_Bcast");
  std::string out = rank_ == root ? value : std::string(static_cast<std::size_t>(length), '\0');
  check_mpi(MPI_Bcast(out.data(), static_cast<int>(length), MPI_CHAR, root, comm_), "MPI_Bcast");
  return out;
}

std::string MpiComm::processor_name() const {
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  check_mpi(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  return std::string(name, length);
}

}  // namespace ringsim

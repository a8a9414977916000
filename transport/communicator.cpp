#include "transport/communicator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/errors.hpp"
#include "common/phase.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

namespace {

template <class T>
std::string bytes_of_value(T value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <class T>
T value_of_bytes(const std::string& bytes) {
  T value{};
  RINGSIM_ENFORCE(bytes.size() == sizeof(T), "control value of the wrong size");
  std::memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

template <class T, class Pick>
T reduce(const std::vector<std::string>& all, Pick pick) {
  T out = value_of_bytes<T>(all[0]);
  for (const auto& bytes : all) out = pick(out, value_of_bytes<T>(bytes));
  return out;
}

constexpr auto kMax = [](auto a, auto b) { return std::max(a, b); };
constexpr auto kMin = [](auto a, auto b) { return std::min(a, b); };

}  // namespace

std::string Communicator::describe(int rank) const {
  if (rank < static_cast<int>(hosts_.size())) return fmt::format("rank {} (host {})", rank, hosts_[rank]);
  return fmt::format("rank {}", rank);
}

std::string Communicator::missing_ranks_message(const char* collective, const std::vector<bool>& arrived) const {
  std::string absent;
  int listed = 0, missing = 0;
  for (int r = 1; r < size(); ++r) {
    if (arrived[static_cast<std::size_t>(r)]) continue;
    ++missing;
    if (listed < 8) absent += (listed++ ? ", " : "") + describe(r);
  }
  if (missing > listed) absent += fmt::format(" and {} more", missing - listed);
  return fmt::format(
      "waited {:g} s in {} for {} ({} of {} ranks missing: stalled, dead or far behind; --timeout sets this bound)",
      std::chrono::duration<double>(timeout()).count(), collective, absent, missing, size());
}

std::string Communicator::silent_root_message(const char* collective) const {
  return fmt::format(
      "waited {:g} s in {} for {}, which gathers every rank (it stalled, died or is waiting for another rank; "
      "--timeout sets this bound)",
      std::chrono::duration<double>(timeout()).count(), collective, describe(0));
}

std::string Communicator::out_of_step_message(const std::string& label, int other, const std::string& theirs) const {
  return fmt::format("ranks out of step: rank 0 is in {} but {} is in {}", label, describe(other), theirs);
}

Communicator::Outcomes Communicator::exchange(const char* collective, const std::string& value,
                                              std::chrono::milliseconds grace) const {
  // A rank asked to stop (SIGTERM, a thread job's stop request) must not
  // hand rank 0 a contribution that lets the job go on without it: after the
  // last one rank 0 publishes the results, and the stopped rank's exit would
  // then fail a job whose output is already out. (An error agreement still
  // reports, so peers learn why.)
  if (std::strcmp(collective, "error agreement") != 0) throw_if_stopped();
  if (size() == 1) return Outcomes{{value}, true};
  // Ranks must meet in the same collective of the same phase.
  return meet(collective, fmt::format("{} in phase {}", collective, current_phase()), value, grace);
}

Communicator::Outcomes Communicator::gather_outcomes(const std::string& outcome,
                                                     std::chrono::milliseconds grace) const {
  return exchange("error agreement", outcome, grace);
}

void Communicator::barrier() const { exchange("barrier", std::string()); }

std::int64_t Communicator::allreduce_max(std::int64_t value) const {
  return reduce<std::int64_t>(exchange("allreduce(max)", bytes_of_value(value)).values, kMax);
}

std::int64_t Communicator::allreduce_min(std::int64_t value) const {
  return reduce<std::int64_t>(exchange("allreduce(min)", bytes_of_value(value)).values, kMin);
}

double Communicator::allreduce_max(double value) const {
  return reduce<double>(exchange("allreduce(max)", bytes_of_value(value)).values, kMax);
}

double Communicator::allreduce_min(double value) const {
  return reduce<double>(exchange("allreduce(min)", bytes_of_value(value)).values, kMin);
}

std::vector<std::int64_t> Communicator::allgather(std::int64_t value) const {
  const auto all = exchange("allgather", bytes_of_value(value)).values;
  std::vector<std::int64_t> out;
  out.reserve(all.size());
  for (const auto& bytes : all) out.push_back(value_of_bytes<std::int64_t>(bytes));
  return out;
}

std::vector<std::vector<std::int64_t>> Communicator::allgather(const std::vector<std::int64_t>& values) const {
  const auto all = exchange("allgather", std::string(reinterpret_cast<const char*>(values.data()),
                                                     values.size() * sizeof(std::int64_t)))
                       .values;
  std::vector<std::vector<std::int64_t>> out(all.size());
  for (std::size_t r = 0; r < all.size(); ++r) {
    RINGSIM_ENFORCE(all[r].size() % sizeof(std::int64_t) == 0, "control list of a partial value");
    out[r].resize(all[r].size() / sizeof(std::int64_t));
    if (!out[r].empty()) std::memcpy(out[r].data(), all[r].data(), all[r].size());
  }
  return out;
}

std::vector<std::string> Communicator::allgather(const std::string& value) const {
  return exchange("allgather", value).values;
}

std::string Communicator::broadcast(const std::string& value, int root) const {
  auto all = exchange("broadcast", rank() == root ? value : std::string()).values;
  return std::move(all[static_cast<std::size_t>(root)]);
}

}  // namespace ringsim

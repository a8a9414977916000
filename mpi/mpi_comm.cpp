#include "mpi/mpi_comm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>

#include "common/errors.hpp"
#include "common/phase.hpp"
#include "common/stop_signal.hpp"
#include "common/watchdog.hpp"
#include "mpi/mpi_progress_link.hpp"
#include "mpi/mpi_transport.hpp"

namespace ringsim {

namespace {

// Tags of the control plane's messages; the mpi transport uses its own
// (mpi_transport.cpp), so the two never match each other's messages.
constexpr int kContributionTag = 30001;
constexpr int kResultTag = 30002;

// Rank 0 gathers, so it notices a missing rank first and names it; the other
// ranks give it this much longer before they give up on rank 0 itself.
constexpr auto kFollowerGrace = std::chrono::seconds(3);

using Clock = std::chrono::steady_clock;

// Polls fast at first (bootstrap messages arrive within microseconds), then
// yields the core, then sleeps: a rank waiting minutes for a slow peer must
// not burn the core that peer may need.
class Poller {
 public:
  void pause() {
    const auto waited = Clock::now() - start_;
    if (waited > std::chrono::milliseconds(200))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    else if (waited > std::chrono::milliseconds(2))
      std::this_thread::yield();
  }

 private:
  Clock::time_point start_ = Clock::now();
};

// Tries to receive one message from `source` with `tag`; true when received.
bool try_receive(MPI_Comm comm, int source, int tag, std::string& out) {
  int flag = 0;
  MPI_Message message;
  MPI_Status status;
  check_mpi(MPI_Improbe(source, tag, comm, &flag, &message, &status), "MPI_Improbe");
  if (!flag) return false;
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  out.assign(static_cast<std::size_t>(count), '\0');
  check_mpi(MPI_Mrecv(out.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv");
  return true;
}

void append_u64(std::string& out, std::uint64_t value) { out.append(reinterpret_cast<const char*>(&value), 8); }
std::uint64_t read_u64(const std::string& in, std::size_t& at) {
  std::uint64_t value = 0;
  RINGSIM_ENFORCE(at + 8 <= in.size(), "short control message");
  std::memcpy(&value, in.data() + at, 8);
  at += 8;
  return value;
}

// Contribution = label length, label, value; result = count, then per rank
// length and bytes.
std::string encode_contribution(const std::string& label, const std::string& value) {
  std::string out;
  append_u64(out, label.size());
  out += label;
  out += value;
  return out;
}

std::string encode_result(const std::vector<std::string>& values) {
  std::string result;
  append_u64(result, values.size());
  for (const auto& v : values) {
    append_u64(result, v.size());
    result += v;
  }
  return result;
}

// `values` (one per rank, sized already) from rank 0's result.
void decode_result(const std::string& result, std::vector<std::string>& values) {
  std::size_t at = 0;
  const auto count = read_u64(result, at);
  RINGSIM_ENFORCE(count == values.size(), "control message for another communicator size");
  for (auto& v : values) {
    const auto length = read_u64(result, at);
    RINGSIM_ENFORCE(at + length <= result.size(), "short control message");
    v = result.substr(at, length);
    at += length;
  }
}

// Set once by MpiSession, before any other thread runs.
int g_machine_leader = -1;

}  // namespace

void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw MpiError(std::string(call) + " failed: " + std::string(text, length));
}

MpiSession::MpiSession(int* argc, char*** argv, std::chrono::milliseconds timeout) : timeout_(timeout) {
  int provided = 0;
  {
    PhaseScope phase("start-up");
    // Start-up waits for every rank's process to start (slow on a loaded
    // host, under a sanitizer, or with hundreds of ranks): at least a minute.
    WatchdogScope guard("MPI_Init", std::max(timeout_, std::chrono::milliseconds(60000)));
    check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    // Blocking, so here, under start-up's watchdog, where every rank has
    // just arrived: the split asks the runtime which ranks share a node.
    MPI_Comm node = MPI_COMM_NULL;
    int world_rank = 0;
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &world_rank), "MPI_Comm_rank");
    check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node),
              "MPI_Comm_split_type");
    MPI_Group node_group = MPI_GROUP_NULL, world_group = MPI_GROUP_NULL;
    check_mpi(MPI_Comm_group(node, &node_group), "MPI_Comm_group");
    check_mpi(MPI_Comm_group(MPI_COMM_WORLD, &world_group), "MPI_Comm_group");
    const int first = 0;  // key = world rank: the node's rank 0 is its lowest world rank
    int leader = -1;
    check_mpi(MPI_Group_translate_ranks(node_group, 1, &first, world_group, &leader), "MPI_Group_translate_ranks");
    MPI_Group_free(&node_group);
    MPI_Group_free(&world_group);
    MPI_Comm_free(&node);
    g_machine_leader = leader;
  }
}

int MpiSession::machine_leader() { return g_machine_leader; }

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  PhaseScope phase("finalize");
  // Open MPI's finalize waits for every rank: a rank that stalled after its
  // last message would hold the others here forever.
  WatchdogScope guard("MPI_Finalize", timeout_);
  MPI_Finalize();
}

void MpiSession::abort(int code) {
  // MPI_Abort asks mpirun to end the job and normally never returns; should
  // it stall (mpirun busy ending the job for another rank), this rank ends
  // itself, which mpirun also treats as a failed job.
  WatchdogScope guard("MPI_Abort", std::chrono::seconds(10));
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

namespace {
int rank_in(MPI_Comm comm) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  return rank;
}
int size_of(MPI_Comm comm) {
  int size = 0;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return size;
}
}  // namespace

MpiComm::MpiComm(MPI_Comm comm) : Communicator(rank_in(comm), size_of(comm)), comm_(comm) {}

std::unique_ptr<Transport> MpiComm::make_native_transport() const { return std::make_unique<MpiTransport>(*this); }

std::unique_ptr<ProgressLink> MpiComm::open_progress_link() const {
  return std::make_unique<MpiProgressLink>(comm_, timeout());
}

MpiComm::Outcomes MpiComm::meet(const char* collective, const std::string& label, const std::string& value,
                                std::chrono::milliseconds grace) const {
  Outcomes outcomes;
  auto& values = outcomes.values;
  values.resize(static_cast<std::size_t>(size()));
  const auto started = Clock::now();
  if (rank() != 0) {
    decode_result(exchange_with_root(encode_contribution(label, value), collective, started), values);
    return outcomes;
  }
  values[0] = value;
  outcomes.complete = gather_contributions(collective, label, values, grace, started);
  if (outcomes.complete) hand_out(encode_result(values), collective, started);
  return outcomes;
}

bool MpiComm::gather_contributions(const char* collective, const std::string& label, std::vector<std::string>& values,
                                   std::chrono::milliseconds grace,
                                   std::chrono::steady_clock::time_point started) const {
  Poller poller;
  std::vector<bool> arrived(static_cast<std::size_t>(size()), false);
  arrived[0] = true;
  int missing = size() - 1;
  // With a grace: from the first failure reported, wait only that long.
  auto give_up_at = Clock::time_point::max();
  const auto note_failure = [&](const std::string& v) {
    if (grace != std::chrono::milliseconds::max() && !v.empty() && give_up_at == Clock::time_point::max())
      give_up_at = Clock::now() + grace;
  };
  note_failure(values[0]);
  while (missing > 0) {
    bool got = false;
    for (int r = 1; r < size(); ++r) {
      std::string message;
      if (arrived[r] || !try_receive(comm_, r, kContributionTag, message)) continue;
      std::size_t at = 0;
      const auto label_size = read_u64(message, at);
      const std::string theirs = message.substr(at, label_size);
      if (theirs != label) throw InternalError(out_of_step_message(label, r, theirs));
      values[r] = message.substr(at + label_size);
      note_failure(values[r]);
      arrived[r] = true;
      --missing;
      got = true;
    }
    if (got) continue;
    throw_if_stopped();
    if (Clock::now() > give_up_at) return false;
    if (Clock::now() - started > timeout()) throw TimeoutError(missing_ranks_message(collective, arrived));
    poller.pause();
  }
  return true;
}

void MpiComm::hand_out(const std::string& result, const char* collective,
                       std::chrono::steady_clock::time_point started) const {
  Poller poller;
  // Results are small (host names, counts, errors): eager sends that
  // complete at once; wait for them anyway, within the same bound.
  std::vector<MPI_Request> sends(static_cast<std::size_t>(size() - 1));
  for (int r = 1; r < size(); ++r)
    check_mpi(MPI_Isend(result.data(), static_cast<int>(result.size()), MPI_BYTE, r, kResultTag, comm_, &sends[r - 1]),
              "MPI_Isend");
  for (;;) {
    int done = 0;
    check_mpi(MPI_Testall(size() - 1, sends.data(), &done, MPI_STATUSES_IGNORE), "MPI_Testall");
    if (done) return;
    if (Clock::now() - started > timeout() + kFollowerGrace)
      throw TimeoutError(fmt::format("waited {:g} s in {} to hand the result to the other ranks",
                                     std::chrono::duration<double>(timeout()).count(), collective));
    poller.pause();
  }
}

std::string MpiComm::exchange_with_root(const std::string& contribution, const char* collective,
                                        std::chrono::steady_clock::time_point started) const {
  Poller poller;
  MPI_Request send = MPI_REQUEST_NULL;
  check_mpi(MPI_Isend(contribution.data(), static_cast<int>(contribution.size()), MPI_BYTE, 0, kContributionTag, comm_,
                      &send),
            "MPI_Isend");
  std::string result;
  bool sent = false;
  for (;;) {
    if (!sent) {
      int done = 0;
      check_mpi(MPI_Test(&send, &done, MPI_STATUS_IGNORE), "MPI_Test");
      sent = done != 0;
    }
    if (sent && try_receive(comm_, 0, kResultTag, result)) return result;
    throw_if_stopped();
    if (Clock::now() - started > timeout() + kFollowerGrace) {
      if (!sent) {
        MPI_Cancel(&send);
        MPI_Request_free(&send);
      }
      throw TimeoutError(silent_root_message(collective));
    }
    poller.pause();
  }
}

std::vector<std::string> MpiComm::machines() const {
  if (const int leader = MpiSession::machine_leader(); leader >= 0)
    return allgather("machine of world rank " + std::to_string(leader));
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  check_mpi(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  return allgather("processor " + std::string(name, length));
}

}  // namespace ringsim

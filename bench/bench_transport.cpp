#include "bench/bench_transport.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/errors.hpp"
#include "net/tls_context.hpp"
#include "transport/machine_cores.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

namespace {

std::int64_t parse_size(std::string text) {
  std::int64_t unit = 1;
  for (const auto& [suffix, factor] : std::vector<std::pair<std::string, std::int64_t>>{
           {"GiB", 1LL << 30}, {"MiB", 1LL << 20}, {"KiB", 1LL << 10}, {"B", 1}}) {
    if (text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
      unit = factor;
      text.resize(text.size() - suffix.size());
      break;
    }
  }
  try {
    std::size_t used = 0;
    const std::int64_t value = std::stoll(text, &used);
    if (used != text.size() || value < 1) throw std::invalid_argument(text);
    return value * unit;
  } catch (const std::exception&) {
    throw InputError("bad size '" + text + "' (e.g. 4096, 64KiB, 4MiB)");
  }
}

struct Summary {
  double median = 0, p10 = 0, p90 = 0;
};

Summary summarise(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) { return samples[static_cast<std::size_t>(q * (samples.size() - 1) + 0.5)]; };
  return {at(0.5), at(0.1), at(0.9)};
}

// CPU seconds this process has used so far, every thread, user and system
// (the kernel's socket work runs in the system calls, so it counts too).
double process_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Makes the sockets this thread opens from now on belong to network
// namespace `name` (/var/run/netns/NAME, as `ip netns` makes them). Entered
// after MPI started, so MPI's own connections (its launcher's, on loopback)
// stay where they work, while the transports' cross the namespaces' link.
void enter_network_namespace(const std::string& name) {
  const std::string path = "/var/run/netns/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("--netns " + name + ": opening " + path);
  const int entered = ::setns(fd, CLONE_NEWNET);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (entered != 0) throw_errno("--netns " + name + ": entering it (root needed)");
}

}  // namespace

double cipher_seal_rate(double seconds, std::size_t record_bytes) {
  // What the tls transport runs per record: AES-128-GCM from the provider a
  // TLS context fetches (kTlsPropertyQuery), a fresh nonce per record,
  // `record_bytes` of plaintext (16 KiB in TLS) and the 16-byte tag, sealed
  // into a separate buffer.
  const std::size_t kRecord = record_bytes;
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", kTlsPropertyQuery);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!cipher || !ctx) {
    EVP_CIPHER_free(cipher);
    EVP_CIPHER_CTX_free(ctx);
    throw Error("cannot fetch AES-128-GCM from OpenSSL");
  }
  std::vector<unsigned char> key(16, 0x11), nonce(12, 0), in(kRecord, 0x5a), out(kRecord + 16), aad(5, 0x17);
  std::uint64_t records = 0;
  const double start = now_seconds();
  double elapsed = 0;
  while ((elapsed = now_seconds() - start) < seconds || records < 16) {
    for (int i = 0; i < 16; ++i, ++records) {
      std::memcpy(nonce.data() + 4, &records, sizeof records);
      int length = 0;
      EVP_EncryptInit_ex2(ctx, cipher, key.data(), nonce.data(), nullptr);
      EVP_EncryptUpdate(ctx, nullptr, &length, aad.data(), static_cast<int>(aad.size()));
      EVP_EncryptUpdate(ctx, out.data(), &length, in.data(), static_cast<int>(in.size()));
      EVP_EncryptFinal_ex(ctx, out.data() + length, &length);
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + kRecord);
    }
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return static_cast<double>(records * kRecord) / elapsed;
}

std::vector<std::int64_t> parse_sizes(const std::string& text) {
  std::vector<std::int64_t> sizes;
  const auto range = text.find("..");
  if (range != std::string::npos) {
    const std::int64_t low = parse_size(text.substr(0, range)), high = parse_size(text.substr(range + 2));
    for (std::int64_t size = low; size <= high; size *= 2) sizes.push_back(size);
  } else {
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto comma = text.find(',', start);
      sizes.push_back(parse_size(text.substr(start, comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (sizes.empty()) throw InputError("no sizes in '" + text + "'");
  return sizes;
}

// Experiment: each message striped in equal parts over several transports
// (so several TLS connections, progress threads and cipher states per
// peer), to measure whether more streams per peer would help.
class StripedRequest : public Request {
 public:
  explicit StripedRequest(std::vector<RequestPtr> parts) : parts_(std::move(parts)) {}
  bool test() override {
    bool done = true;
    for (auto& part : parts_) done = part->test() && done;
    return done;
  }
  void wait(Millis timeout) override {
    for (auto& part : parts_) part->wait(timeout);
  }

 private:
  std::vector<RequestPtr> parts_;
};

class StripedTransport : public Transport {
 public:
  explicit StripedTransport(std::vector<std::unique_ptr<Transport>> parts) : parts_(std::move(parts)) {}
  int rank() const override { return parts_[0]->rank(); }
  int size() const override { return parts_[0]->size(); }
  std::string name() const override { return parts_[0]->name() + "-x" + std::to_string(parts_.size()); }
  RequestPtr isend(int peer, std::span<const std::byte> data) override {
    std::vector<RequestPtr> requests;
    for (std::size_t i = 0; i < parts_.size(); ++i) requests.push_back(parts_[i]->isend(peer, slice(data, i)));
    return std::make_unique<StripedRequest>(std::move(requests));
  }
  RequestPtr irecv(int peer, std::span<std::byte> data) override {
    std::vector<RequestPtr> requests;
    for (std::size_t i = 0; i < parts_.size(); ++i) requests.push_back(parts_[i]->irecv(peer, slice(data, i)));
    return std::make_unique<StripedRequest>(std::move(requests));
  }
  void await_ready(Millis timeout) override {
    for (auto& part : parts_) part->await_ready(timeout);
  }
  TransportStats stats() const override { return parts_[0]->stats(); }

 private:
  template <class Byte>
  std::span<Byte> slice(std::span<Byte> data, std::size_t i) const {
    const std::size_t n = parts_.size(), begin = data.size() * i / n, end = data.size() * (i + 1) / n;
    return data.subspan(begin, end - begin);
  }
  std::vector<std::unique_ptr<Transport>> parts_;
};

namespace {

// A transport under test and what it said of itself once connected.
struct Measured {
  std::string kind;
  std::unique_ptr<Transport> transport;
  TransportStats stats;
};

// The transport options a --transports kind names:
// "tls-openssl": TLS with records in user space only (no kTLS), to compare in one run;
// "tls-serial": TLS without pipelining (seal, then send; read, then open);
// "tls-serial-receive": TLS with pipelined sending only (read, then open);
// a "-x2" ending ("tls-x2", "tcp-x2") is the kind without it (striped_kind).
TransportOptions options_of_kind(const std::string& base_kind, const TransportBenchOptions& options) {
  TransportOptions transport_options;
  const bool tls_variant = base_kind == "tls-openssl" || base_kind == "tls-serial" || base_kind == "tls-serial-receive";
  parse_option(tls_variant ? "tls" : base_kind, transport_options.transport, "--transport");
  transport_options.tls_pipelining = base_kind == "tls-serial" ? TlsPipelining::off : TlsPipelining::on;
  transport_options.tls_pipelined_receiving = base_kind != "tls-serial-receive";
  parse_option(base_kind == "tls-openssl" ? "openssl" : options.tls_crypto, transport_options.tls_crypto,
               "--tls-crypto");
  transport_options.tls_ephemeral = true;
  transport_options.tls_ciphersuites = options.tls_ciphersuites;
  transport_options.bind = options.bind;
  return transport_options;
}

// Every transport of --transports, connected and ready ("tls-x2" / "tcp-x2":
// every message striped over two connections per peer).
std::vector<Measured> connect_transports(const TransportBenchOptions& options, const Communicator& comm,
                                         Millis timeout) {
  std::vector<Measured> measured;
  for (const auto& kind : options.transports) {
    const bool striped = kind.size() > 3 && kind.substr(kind.size() - 3) == "-x2";
    const TransportOptions transport_options =
        options_of_kind(striped ? kind.substr(0, kind.size() - 3) : kind, options);
    std::unique_ptr<Transport> transport;
    if (striped) {
      std::vector<std::unique_ptr<Transport>> parts;
      for (int i = 0; i < 2; ++i) parts.push_back(make_transport(transport_options, comm));
      transport = std::make_unique<StripedTransport>(std::move(parts));
    } else {
      transport = make_transport(transport_options, comm);
    }
    transport->await_ready(timeout);
    const auto stats = transport->stats();
    measured.push_back({kind, std::move(transport), stats});
  }
  return measured;
}

// One message size and test ("pingpong" or "ring") over every transport.
struct SizeTest {
  std::span<const std::byte> message;
  std::span<std::byte> target;
  std::string test;
  int reps = 0;
  int warmup = 0;
  double bytes_per_rep = 0;  // a ping-pong moves the message twice per repetition; a ring step, once per rank
};

// What one transport measured over the rounds of a SizeTest, on every rank summed where it says so.
struct TransportFigures {
  std::vector<double> samples;  // one-way seconds per repetition
  double cpu_seconds = 0;       // every rank's process CPU time over the timed repetitions
  double wall_seconds = 0;
  double bytes_moved = 0;
};

// One repetition's one-way time: half a ping-pong round trip (ranks 0 and
// 1), or one ring step (each rank sends to the next).
double one_repetition(Transport& transport, const SizeTest& run, const Communicator& comm, Millis timeout) {
  const int rank = comm.rank(), size = comm.size();
  const double start = now_seconds();
  if (run.test == "pingpong") {
    if (rank == 0) {
      transport.send(1, run.message, timeout);
      transport.recv(1, run.target, timeout);
    } else if (rank == 1) {
      transport.recv(0, run.target, timeout);
      transport.send(0, run.message, timeout);
    }
    return (now_seconds() - start) / 2.0;
  }
  auto receive = transport.irecv((rank + size - 1) % size, run.target);
  auto send = transport.isend((rank + 1) % size, run.message);
  send->wait(timeout);
  receive->wait(timeout);
  return now_seconds() - start;
}

// One transport's turn in a round: `round_reps` timed repetitions after the
// warm-up, added to `figures`.
void time_turn(Transport& transport, const SizeTest& run, int round_reps, const Communicator& comm, Millis timeout,
               TransportFigures& figures) {
  std::vector<std::int64_t> turn_ns;
  double cpu_start = 0, wall_start = 0;
  comm.barrier();
  for (int r = 0; r < run.warmup + round_reps; ++r) {
    if (r == run.warmup) {
      cpu_start = process_cpu_seconds();
      wall_start = now_seconds();
    }
    const double sample = one_repetition(transport, run, comm, timeout);
    if (r >= run.warmup) turn_ns.push_back(static_cast<std::int64_t>(sample * 1e9));
  }
  const double wall = now_seconds() - wall_start;
  const double cpu = process_cpu_seconds() - cpu_start;
  // Gathered after the turn, not per repetition: MPI waits by
  // spinning, which would count as the transport's CPU time.
  const auto every_rank_ns = comm.allgather(turn_ns);
  std::int64_t cpu_ns_all = 0;
  for (const std::int64_t ns : comm.allgather(static_cast<std::int64_t>(cpu * 1e9))) cpu_ns_all += ns;
  for (std::size_t r = 0; r < turn_ns.size(); ++r) {
    // Ping-pong: rank 0's clock; a ring step's pace is the slowest rank's.
    std::int64_t ns = every_rank_ns[0][r];
    if (run.test == "ring")
      for (const auto& of_rank : every_rank_ns) ns = std::max(ns, of_rank[r]);
    figures.samples.push_back(static_cast<double>(ns) * 1e-9);
  }
  figures.cpu_seconds += static_cast<double>(cpu_ns_all) * 1e-9;
  figures.wall_seconds += wall;
  figures.bytes_moved += run.bytes_per_rep * round_reps;
}

constexpr int kRounds = 4;

void print_table_header() {
  fmt::print("{:<18} {:<9} {:>10} {:>6} {:>12} {:>12} {:>12} {:>10} {:>10} {:>8} {:>6} {:>8} {:>8}\n", "kind", "test",
             "bytes", "reps", "median_us", "p10_us", "p90_us", "MB/s", "cipher", "/cipher", "busy", "cpu_ns/B",
             "ceil/ciph");
}

// Rank 0: one transport's line of the table and its entry in the results.
// CPU cost per byte: every rank's process CPU time over its timed
// repetitions, summed, over the bytes they moved. With `cores` the cores the
// ranks share, cores / (CPU per byte) is the most this transport's work could
// move if every core did nothing else: its ceiling on this machine, whatever
// the threads' schedule.
nlohmann::json report_transport(const Measured& measured, const SizeTest& run, const TransportFigures& figures,
                                const std::vector<double>& cipher_rates, int cores, int ranks) {
  const std::int64_t bytes = static_cast<std::int64_t>(run.message.size());
  const double cipher = summarise(cipher_rates).median / 1e6;
  const Summary s = summarise(figures.samples);
  const double bandwidth = static_cast<double>(bytes) / s.median / 1e6;
  const double busy_cores = figures.cpu_seconds / figures.wall_seconds;
  const double cpu_ns_per_byte = figures.cpu_seconds / figures.bytes_moved * 1e9;
  // The ceiling in the bandwidth's own unit (one way; per direction in the ring).
  const double ceiling = bandwidth * cores / busy_cores;
  fmt::print(
      "{:<18} {:<9} {:>10} {:>6} {:>12.2f} {:>12.2f} {:>12.2f} {:>10.1f} {:>10.0f} {:>8.2f} {:>6.2f} {:>8.3f} "
      "{:>8.2f}\n",
      measured.kind, run.test, bytes, run.reps, s.median * 1e6, s.p10 * 1e6, s.p90 * 1e6, bandwidth, cipher,
      bandwidth / cipher, busy_cores, cpu_ns_per_byte, ceiling / cipher);
  return {{"transport", measured.kind},
          {"test", run.test},
          {"ranks", run.test == "ring" ? ranks : 2},
          {"bytes", bytes},
          {"repetitions", run.reps},
          {"rounds", kRounds},
          {"warmup_per_round", run.warmup},
          {"median_seconds", s.median},
          {"p10_seconds", s.p10},
          {"p90_seconds", s.p90},
          {"bandwidth_MBps", bandwidth},
          {"cipher_seal_MBps", cipher},
          {"cipher_seal_samples_MBps", cipher_rates},
          {"over_cipher", bandwidth / cipher},
          {"cores", cores},
          {"cpu_seconds", figures.cpu_seconds},
          {"wall_seconds", figures.wall_seconds},
          {"bytes_moved", figures.bytes_moved},
          {"busy_cores", busy_cores},
          {"cpu_ns_per_byte", cpu_ns_per_byte},
          {"cpu_ceiling_MBps", ceiling},
          {"cipher_suite", measured.stats.cipher_suite},
          {"tls_crypto", measured.stats.tls_crypto},
          {"ktls_send", measured.stats.ktls_send},
          {"ktls_receive", measured.stats.ktls_receive},
          {"samples_seconds", figures.samples}};
}

// One size and test over every transport: the transports take turns in
// rounds (A B C, B C A, ...), so that this machine's drift over seconds hits
// them alike and ratios between them are taken side by side. Rank 0 prints
// and adds the results.
void measure_size_test(std::vector<Measured>& measured, const SizeTest& run, const TransportBenchOptions& options,
                       int cores, const Communicator& comm, Millis timeout, nlohmann::json& results) {
  std::vector<TransportFigures> figures(measured.size());
  std::vector<double> cipher_rates;  // rank 0's own seal rate, once per round, between the transports' turns
  for (int round = 0; round < kRounds; ++round) {
    comm.barrier();
    if (comm.rank() == 0) cipher_rates.push_back(cipher_seal_rate(std::min(0.05, options.seconds_per_size / kRounds)));
    for (std::size_t turn = 0; turn < measured.size(); ++turn) {
      const std::size_t which = (turn + static_cast<std::size_t>(round)) % measured.size();
      const int round_reps = run.reps / kRounds + (round < run.reps % kRounds ? 1 : 0);
      time_turn(*measured[which].transport, run, round_reps, comm, timeout, figures[which]);
    }
  }
  if (comm.rank() != 0) return;
  for (std::size_t which = 0; which < measured.size(); ++which)
    results.push_back(report_transport(measured[which], run, figures[which], cipher_rates, cores, comm.size()));
}

}  // namespace

void run_transport_bench(const TransportBenchOptions& options, const Communicator& comm) {
  if (comm.size() < 2) throw InputError("bench transport needs at least 2 ranks (mpirun -np 2)");
  const auto sizes = parse_sizes(options.sizes);
  const Millis timeout(120000);
  nlohmann::json results = nlohmann::json::array();
  if (!options.netns.empty()) enter_network_namespace(options.netns);
  const std::int64_t largest = *std::max_element(sizes.begin(), sizes.end());
  std::vector<std::byte> out(static_cast<std::size_t>(largest), std::byte{0x5a}), in(out.size());
  if (comm.rank() == 0) print_table_header();
  // Every transport is connected first, then measured size by size.
  auto measured = connect_transports(options, comm, timeout);
  const int cores = machine_cores(comm).all;
  for (const std::int64_t bytes : sizes) {
    for (const std::string test : {"pingpong", "ring"}) {
      SizeTest run{std::span<const std::byte>(out.data(), static_cast<std::size_t>(bytes)),
                   std::span<std::byte>(in.data(), static_cast<std::size_t>(bytes)), test};
      // Repetitions: as many as fit the time budget at ~1 GB/s, 8..1000.
      run.reps = static_cast<int>(std::clamp<double>(options.seconds_per_size * 1e9 / bytes, 8, 1000));
      run.warmup = std::max(2, run.reps / 10);
      run.bytes_per_rep = static_cast<double>(bytes) * (test == "pingpong" ? 2 : comm.size());
      measure_size_test(measured, run, options, cores, comm, timeout, results);
    }
  }
  if (comm.rank() == 0 && !options.out.empty()) {
    AtomicFile file(options.out);
    file.append(results.dump(1) + "\n");
    file.commit();
  }
}

}  // namespace ringsim

#include "engine/job.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/failure_file.hpp"
#include "common/fault_injection.hpp"
#include "common/host.hpp"
#include "common/log.hpp"
#include "common/output_lock.hpp"
#include "common/phase.hpp"
#include "common/rank_map.hpp"
#include "common/stop_signal.hpp"
#include "engine/checkpoint.hpp"
#include "engine/matrix_source.hpp"
#include "engine/output_budget.hpp"
#include "engine/placement.hpp"
#include "engine/ring_loop.hpp"
#include "engine/row_ids.hpp"
#include "engine/tile_device.hpp"
#include "kernels/gemm_backend.hpp"
#include "kernels/normalize.hpp"
#include "kernels/rate_probe.hpp"
#include "transport/agreement.hpp"
#include "transport/socket_transport.hpp"

namespace ringsim {

namespace {

using nlohmann::json;

struct RankReport {
  double load_seconds = 0, normalize_seconds = 0, connect_seconds = 0, ring_seconds = 0;
  double compute_seconds = 0, wait_seconds = 0, write_seconds = 0, total_seconds = 0, checkpoint_seconds = 0;
  std::int64_t rows = 0, entries = 0;
  std::int64_t rows_given = 0, rows_taken = 0;  // shared middle step
};

void validate(const RunOptions& options) {
  if (!options.invalid_option.empty()) throw InputError(options.invalid_option);
  check_job_config(options);
}

// The rows this rank owns, and where every rank's rows sit globally.
struct LocalInput {
  MatrixSource source;
  RowPartition partition = RowPartition::even(0, 1);
  std::int64_t source_begin = 0;  // first row to read from `source`
  // --balance: every rank's measured GEMM rate (GFLOP/s), the weights of
  // the partition and of the ring's middle split; empty: even shares.
  std::vector<double> rank_gflops;
};

// Each rank's rate for the job's tiles (GEMM and top-k selection, `cols`
// deep), measured at the same time on every rank (so that ranks sharing a
// core, or held to part of one, measure what they will get); the same
// numbers on every rank. 0.3 s: three periods of a CPU quota's 100 ms.
std::vector<double> measure_rank_gflops(const MpiComm& comm, std::int64_t cols, std::int64_t tile, int k) {
  PhaseScope phase("balance");
  comm.barrier();
  const double gflops =
      measure_fused_topk_gflops(std::min<std::int64_t>(tile, 512), std::max<std::int64_t>(cols, 1), k, 0.3);
  // As whole kFLOP/s, so every rank builds bit-identical weights.
  std::vector<double> rates;
  for (const std::int64_t rate : comm.allgather(static_cast<std::int64_t>(std::max(gflops, 1e-3) * 1e6)))
    rates.push_back(static_cast<double>(rate) / 1e6);
  return rates;
}

LocalInput open_input(const RunOptions& options, const MpiComm& comm) {
  LocalInput local;
  std::int64_t cols = -1;
  run_agreed(comm, [&] {
    local.source = MatrixSource::open(options.input, /*allow_empty=*/options.sharded,
                                      CsvOptions{.header = options.csv_header, .index_col = options.csv_index_col});
    if (local.source.rows() > 0 && local.source.cols() < 1) throw InputError(options.input + ": rows have no columns");
    cols = local.source.rows() > 0 ? local.source.cols() : -1;
  });
  // Ranks must agree on the width; a rank without rows has no opinion.
  const std::int64_t widest = comm.allreduce_max(cols);
  const std::int64_t narrowest = comm.allreduce_min(cols < 0 ? widest : cols);
  if (widest != narrowest)
    throw AgreedFailure("input files disagree on the column count (" + std::to_string(narrowest) + " vs " +
                        std::to_string(widest) + ")");
  if (options.sharded) {
    // Ranks that see the same files (same host, same path) split them evenly;
    // global ids follow rank order, i.e. host order, then file-name order.
    // A machine, never a host name: every SageMaker container is called "aws".
    const auto machines = comm.machines();
    const auto paths = comm.allgather(options.input);
    std::vector<std::string> groups(machines.size());
    for (std::size_t r = 0; r < groups.size(); ++r) groups[r] = machines[r] + "\n" + paths[r];
    int members = 0, index = 0;
    for (int r = 0; r < comm.size(); ++r)
      if (groups[r] == groups[comm.rank()]) {
        if (r < comm.rank()) ++index;
        ++members;
      }
    const auto share = RowPartition::even(local.source.rows(), members);
    local.source_begin = share.begin(index);
    local.partition = RowPartition::from_sizes(comm.allgather(share.size(index)));
  } else {
    const auto rows = comm.allgather(local.source.rows());
    for (int r = 0; r < comm.size(); ++r)
      if (rows[r] != rows[0])
        throw AgreedFailure("ranks 0 and " + std::to_string(r) + " see different inputs (" + std::to_string(rows[0]) +
                            " vs " + std::to_string(rows[r]) + " rows)");
    if (!options.assumed_rank_gflops.empty()) {
      local.rank_gflops = options.assumed_rank_gflops;
    } else if (options.balance == Balance::measured && comm.size() > 1) {
      local.rank_gflops = measure_rank_gflops(comm, widest, options.tile, std::min(options.k, 64));
    }
    // Blocks end on the tile grid, so a score does not depend on how rows are shared.
    local.partition = local.rank_gflops.empty() ? RowPartition::even(rows[0], comm.size(), options.tile)
                                                : RowPartition::weighted(rows[0], local.rank_gflops, options.tile);
    local.source_begin = local.partition.begin(comm.rank());
  }
  return local;
}

// Per peer: whether the edge was encrypted, and the bytes each way.
json edges_json(const std::vector<EdgeStats>& edges) {
  json out = json::array();
  for (const auto& e : edges)
    out.push_back({{"peer", e.peer},
                   {"peer_host", e.peer_host},
                   {"encrypted", e.encrypted},
                   {"bytes_sent", e.bytes_sent},
                   {"bytes_received", e.bytes_received}});
  return out;
}

json transport_json(const TransportStats& stats) {
  return {{"transport", stats.transport},
          {"cipher_suite", stats.cipher_suite},
          {"tls_crypto", stats.tls_crypto},
          {"ktls_send", stats.ktls_send},
          {"ktls_receive", stats.ktls_receive},
          {"handshake_seconds", stats.handshake_seconds},
          {"bytes_sent", stats.bytes_sent},
          {"bytes_received", stats.bytes_received},
          {"send_seconds", stats.send_seconds},
          {"receive_seconds", stats.receive_seconds},
          {"encrypt_seconds", stats.encrypt_seconds},
          {"decrypt_seconds", stats.decrypt_seconds},
          {"edges", edges_json(stats.edges)}};
}

// Which rows of which input files this rank holds, as global row ranges:
// rows.json, so that results (row numbers) map back to files even when
// ShardedByS3Key decided which host got which file.
json input_pieces(const LocalInput& input, int rank) {
  json pieces = json::array();
  const std::int64_t begin = input.source_begin, end = begin + input.partition.size(rank);
  std::int64_t file_begin = 0;
  for (const auto& file : input.source.files()) {
    const std::int64_t a = std::max(begin, file_begin), b = std::min(end, file_begin + file.rows);
    if (a < b) {
      std::error_code ignored;
      const auto absolute = std::filesystem::absolute(file.path, ignored).lexically_normal().string();
      const std::int64_t global = input.partition.begin(rank) + (a - begin);
      pieces.push_back({{"host", identity_host()},
                        {"file", absolute},
                        {"file_rows", {a - file_begin, b - file_begin}},
                        {"global_rows", {global, global + (b - a)}}});
    }
    file_begin += file.rows;
  }
  return pieces;
}

// rows.json from every rank's pieces, in global order, with the pieces of
// one file that neighbouring ranks hold joined again.
std::string rows_manifest(const json& ranks, std::int64_t n, const std::string& ids) {
  json files = json::array();
  for (const auto& r : ranks)
    for (const auto& piece : r["input_pieces"]) {
      if (!files.empty()) {
        json& last = files.back();
        if (last["host"] == piece["host"] && last["file"] == piece["file"] &&
            last["file_rows"][1] == piece["file_rows"][0] && last["global_rows"][1] == piece["global_rows"][0]) {
          last["file_rows"][1] = piece["file_rows"][1];
          last["global_rows"][1] = piece["global_rows"][1];
          continue;
        }
      }
      files.push_back(piece);
    }
  return json{{"n", n}, {"ids", ids.empty() ? json(nullptr) : json(ids)}, {"files", files}}.dump(2) + "\n";
}

// Ties checkpoints to this rank's rows and every option that changes its
// results (the transport and timeouts do not).
template <class Scalar>
std::uint64_t job_fingerprint(const RunOptions& options, const RowPartition& partition, const RowMatrix<Scalar>& own,
                              int ranks) {
  Fingerprint f;
  // "increments": threshold checkpoints hold only new pairs, linked to the
  // previous save; "grid": tiles lie on the global grid. Files in older
  // formats are then another job's.
  f.add(fmt::format("grid increments mode={} k={} threshold={} dtype={} tile={}x{} ranks={} n={} d={}",
                    to_string(options.mode), options.k, options.threshold, to_string(options.dtype), options.tile,
                    options.tile, ranks, partition.rows(), own.cols()) +
        (options.score == Score::dot ? " score=dot" : ""));
  for (int r = 0; r < ranks; ++r) f.add(fmt::format("{}+{}", partition.begin(r), partition.size(r)));
  return f.add(own.data(), static_cast<std::size_t>(own.size()) * sizeof(Scalar)).value();
}

// Publishes a job's result files back to back, after removing the result
// files of other modes that a reused --out may hold (they would read as this
// job's results). Flushing first keeps the renames close together.
void publish_outputs(const std::string& out_dir, StagedOutputs& outputs) {
  for (auto& file : outputs) file->flush();
  for (const auto& name : result_file_names()) {
    const auto path = std::filesystem::path(out_dir) / name;
    const bool ours = std::any_of(outputs.begin(), outputs.end(), [&](auto& f) { return f->final_path() == path; });
    std::error_code ignored;
    if (!ours) std::filesystem::remove(path, ignored);
  }
  for (auto& file : outputs) file->publish();
}

template <class Scalar>
void run_typed(const RunOptions& options, const MpiComm& comm) {
  const double started = now_seconds();
  RankReport report;
  const int rank = comm.rank();

  LocalInput input;
  RowMatrix<Scalar> own;
  std::unique_ptr<Transport> transport;
  // --device: before any work, so a rank without its GPU fails the job at once.
  std::unique_ptr<TileBackend<Scalar>> tiles;
  json device;
  {
    PhaseScope phase("device");
    run_agreed(comm, [&] { tiles = make_tile_backend<Scalar>(options.device, options.tile, device); });
  }
  {
    PhaseScope phase("load");
    ScopedTimer timer(report.load_seconds);
    input = open_input(options, comm);
  }
  {
    // Connections are made now; TLS handshakes go on in the background
    // while the rows load and are collected (agreed) before the ring.
    PhaseScope phase("connect");
    ScopedTimer timer(report.connect_seconds);
    transport = make_transport(transport_options(options), comm);
    throw_if_stopped();  // the mpi transport's set-up makes no call that would notice
  }
  // Rank 0 writes the results: it holds --out for the whole job.
  std::optional<OutputDirectoryLock> out_lock;
  std::optional<RowIds> row_ids;
  const std::int64_t n = input.partition.rows();
  {
    PhaseScope phase("load");
    ScopedTimer timer(report.load_seconds);
    run_agreed(comm, [&] {
      if (rank == 0) {
        ensure_writable_directory(options.out);
        out_lock.emplace(options.out);
        if (!options.ids.empty()) {
          row_ids = RowIds::load(options.ids, n);
        } else if (options.csv_index_col && !options.sharded) {
          // The index column names the rows, as --ids would (replicated
          // input: rank 0's files are every rank's files).
          std::vector<std::string> index;
          for (const auto& file : input.source.files())
            for (auto& id : read_csv_index_column(file)) index.push_back(std::move(id));
          if (static_cast<std::int64_t>(index.size()) == n) row_ids = RowIds::from_lines(index, n, "--csv-index-col");
        }
        if (options.mode == Mode::full)
          check_output_budget(full_output_bytes(n), options.max_output_bytes, fmt::format("--mode full (n = {})", n));
        if (options.mode == Mode::topk)
          check_output_budget(topk_output_bytes(n, options.k), options.max_output_bytes,
                              fmt::format("--mode topk (n = {}, k = {})", n, options.k));
      }
      own = input.source.template load_rows<Scalar>(input.source_begin, input.partition.size(rank),
                                                    input.partition.begin(rank) - input.source_begin);
    });
  }
  report.rows = own.rows();
  // A rank with no rows (P > n, or an empty shard) still needs the width.
  const std::int64_t d = comm.allreduce_max(input.source.cols());
  if (own.rows() == 0) own.resize(0, d);
  {
    PhaseScope phase("load");
    ScopedTimer timer(report.normalize_seconds);
    if (options.score == Score::cosine) normalize_rows(own);
  }
  // Dot scores are bounded by the largest squared row norm (Cauchy-Schwarz):
  // the bound on what a peer or a checkpoint may claim.
  double score_bound = kScoreBound;
  if (options.score == Score::dot) {
    double largest = 0;
    for (std::int64_t r = 0; r < own.rows(); ++r) {
      double squared = 0;
      for (std::int64_t c = 0; c < own.cols(); ++c) squared += static_cast<double>(own(r, c)) * own(r, c);
      largest = std::max(largest, squared);
    }
    score_bound = dot_score_bound(comm.allreduce_max(largest));
  }
  if (rank == 0)
    for (const auto& file : input.source.files())
      if (file.csv_first_column_is_counter)
        log::warning(file.path +
                     ": the first column counts the rows (0, 1, 2, ...), like the index pandas' to_csv writes; it is "
                     "read as a feature. Pass --csv-index-col if it is pandas' index (docs/input.md).");
  if (options.mode == Mode::topk && options.k > n - 1 && rank == 0)
    log::warning(fmt::format(
        "--k {} but each row has only {} other rows: the last {} slots of every row hold id -1 and score NaN",
        options.k, std::max<std::int64_t>(0, n - 1), options.k - std::max<std::int64_t>(0, n - 1)));
  if (options.mode == Mode::threshold) {
    PhaseScope phase("plan");
    const auto estimate = estimate_threshold_output(own, input.partition, comm, options.threshold);
    // Every rank computed the same estimate: an agreed refusal.
    try {
      check_output_budget(estimate.bytes, options.max_output_bytes,
                          fmt::format("--mode threshold --threshold {} (about {:.3g} pairs of n = {}, estimated from "
                                      "{} sampled rows)",
                                      options.threshold, estimate.pairs, n, estimate.sample_rows));
    } catch (const InputError& e) {
      throw AgreedFailure(e.what());
    }
  }

  const Millis timeout(static_cast<std::int64_t>(options.timeout * 1000));
  const RingSchedule schedule(comm.size(), input.rank_gflops, options.tile);
  {
    PhaseScope phase("connect");
    ScopedTimer timer(report.connect_seconds);
    run_agreed(comm, [&] { transport->await_ready(timeout); });
  }

  double mode_wait = 0;
  const ModeContext context{*transport, input.partition, timeout, &mode_wait, row_ids ? &*row_ids : nullptr,
                            score_bound};
  auto mode = make_ring_mode<Scalar>(mode_options(options), context);

  std::optional<CheckpointStore> store;
  RingCheckpoints checkpoints;
  int last_saved_step = -1;  // the newest step in the checkpoint folder, for incremental saves
  if (!options.checkpoint_dir.empty()) {
    PhaseScope phase("resume");
    std::vector<int> saved;
    run_agreed(comm, [&] {
      store.emplace(
          options.checkpoint_dir, rank, job_fingerprint(options, input.partition, own, comm.size()),
          options.checkpoint_key_file.empty() ? std::string() : read_checkpoint_key(options.checkpoint_key_file));
      saved = store->saved_steps();
    });
    // Resume after the newest step every rank saved.
    std::string mine;
    for (const int step : saved) mine += std::to_string(step) + " ";
    std::vector<int> common = saved;
    for (const auto& theirs : comm.allgather(mine)) {
      std::istringstream in(theirs);
      std::vector<int> steps{std::istream_iterator<int>(in), std::istream_iterator<int>()};
      std::erase_if(common, [&](int step) { return std::find(steps.begin(), steps.end(), step) == steps.end(); });
    }
    if (!common.empty()) {
      run_agreed(comm, [&] {
        mode->restore(mode->saves_increments() ? load_increments(*store, common.back()) : store->load(common.back()));
      });
      checkpoints.resume_step = common.back() + 1;
      last_saved_step = common.back();
    }
    checkpoints.every = options.checkpoint_every;
    checkpoints.save = [&](int step) {
      ScopedTimer timer(report.checkpoint_seconds);
      if (mode->saves_increments()) {
        run_agreed(comm, [&] { save_increment(*store, step, last_saved_step, mode->save()); });
      } else {
        run_agreed(comm, [&] { store->save(step, mode->save()); });
        store->keep_only(step);  // every rank holds `step` now
      }
      last_saved_step = step;
      inject_fault_at(("checkpoint-" + std::to_string(step)).c_str(), rank);
    };
  }
  {
    PhaseScope phase("ring");
    ScopedTimer timer(report.ring_seconds);
    ProgressReporter progress(options.progress_seconds, rank, input.partition, schedule, d);
    const RingTimes times =
        run_ring(own, input.partition, schedule, *transport, *mode, timeout, checkpoints, &progress, tiles.get());
    report.compute_seconds = times.compute_seconds;
    report.wait_seconds = times.wait_seconds + mode_wait;
    report.entries = times.entries;
    report.rows_given = times.rows_given;
    report.rows_taken = times.rows_taken;
  }
  StagedOutputs outputs;
  {
    PhaseScope phase("write");
    ScopedTimer timer(report.write_seconds);
    if (options.mode == Mode::threshold) {
      // The estimate may have been low: check the real size before writing.
      double bytes = 0;
      for (const std::int64_t part : comm.allgather(static_cast<std::int64_t>(mode->output_bytes_here())))
        bytes += static_cast<double>(part);
      try {
        check_output_budget(bytes, options.max_output_bytes,
                            fmt::format("--mode threshold --threshold {} (n = {})", options.threshold, n));
      } catch (const InputError& e) {
        throw AgreedFailure(e.what());
      }
    }
    outputs = mode->gather_and_write(options.out);
  }
  PhaseScope report_phase("report");
  report.total_seconds = now_seconds() - started;

  const TransportStats stats = transport->stats();
  const double flops = 2.0 * static_cast<double>(d) * static_cast<double>(report.entries);
  json mine = {{"rank", rank},
               {"host", identity_host()},
               {"input_pieces", input_pieces(input, rank)},
               {"rows", report.rows},
               {"row_begin", input.partition.begin(rank)},
               {"seconds",
                {{"load", report.load_seconds},
                 {"normalize", report.normalize_seconds},
                 {"connect", report.connect_seconds},
                 {"compute", report.compute_seconds},
                 {"communication_wait", report.wait_seconds},
                 {"ring", report.ring_seconds},
                 {"write", report.write_seconds},
                 {"checkpoint", report.checkpoint_seconds},
                 {"total", report.total_seconds}}},
               {"similarity_entries", report.entries},
               {"gflops", report.compute_seconds > 0 ? flops / report.compute_seconds / 1e9 : 0.0},
               {"measured_gflops", input.rank_gflops.empty() ? json(nullptr) : json(input.rank_gflops[rank])},
               {"middle_step_rows_given", report.rows_given},
               {"middle_step_rows_taken", report.rows_taken},
               {"peak_rss_bytes", peak_rss_bytes()},
               {"device", device},
               {"transport", transport_json(stats)}};
  const auto all = comm.allgather(mine.dump());
  if (rank == 0) {
    json ranks = json::array();
    double wall = 0, total_flops = 0, compute_max = 0, wait_max = 0, peak_rss = 0, ring_max = 0, rank_gflops_sum = 0;
    std::uint64_t bytes_sent = 0;
    for (const auto& text : all) {
      json r = json::parse(text);
      wall = std::max(wall, r["seconds"]["total"].get<double>());
      compute_max = std::max(compute_max, r["seconds"]["compute"].get<double>());
      wait_max = std::max(wait_max, r["seconds"]["communication_wait"].get<double>());
      ring_max = std::max(ring_max, r["seconds"]["ring"].get<double>());
      rank_gflops_sum += r["gflops"].get<double>();
      peak_rss = std::max(peak_rss, r["peak_rss_bytes"].get<double>());
      total_flops += 2.0 * static_cast<double>(d) * r["similarity_entries"].get<double>();
      bytes_sent += r["transport"]["bytes_sent"].get<std::uint64_t>();
      ranks.push_back(std::move(r));
    }
    json document = {{"n", input.partition.rows()},
                     {"d", d},
                     {"P", comm.size()},
                     {"mode", to_string(options.mode)},
                     {"score", to_string(options.score)},
                     {"dtype", to_string(options.dtype)},
                     {"transport", to_string(options.transport)},
                     {"cipher_suite", stats.cipher_suite},
                     {"tls_crypto", stats.tls_crypto},
                     {"tile", {options.tile, options.tile}},
                     {"gemm_backend", gemm_backend()},
                     {"device", to_string(options.device)},
                     {"resumed_steps", checkpoints.resume_step},
                     {"ring_steps", schedule.steps()},
                     {"balance", input.rank_gflops.empty() ? "even" : "measured"},
                     // The ring's rate against the sum of what each rank achieved in its
                     // own compute time: 1 when no rank ever waited for another.
                     {"rank_gflops_sum", rank_gflops_sum},
                     {"ring_gflops", ring_max > 0 ? total_flops / ring_max / 1e9 : 0},
                     {"ring_rate_vs_rank_sum",
                      ring_max > 0 && rank_gflops_sum > 0 ? total_flops / ring_max / 1e9 / rank_gflops_sum : 0},
                     {"wall_seconds", wall},
                     {"gflops_per_rank_mean", compute_max > 0 ? total_flops / comm.size() / compute_max / 1e9 : 0},
                     {"job_gflops", wall > 0 ? total_flops / wall / 1e9 : 0},
                     {"ranks", ranks}};
    // Only the mode's own settings: a threshold in a top-k report reads as
    // if it had been applied.
    if (options.mode == Mode::topk) {
      document["k"] = options.k;
      document["empty_slots_per_row"] = std::max<std::int64_t>(0, options.k - (n - 1));
    }
    if (options.mode == Mode::threshold) document["threshold"] = options.threshold;
    outputs.push_back(std::make_unique<AtomicFile>((std::filesystem::path(options.out) / "rows.json").string()));
    outputs.back()->append(rows_manifest(ranks, input.partition.rows(), options.ids));
    if (row_ids) {
      // The id table, once, in row order: ids.txt[neighbors] names every
      // neighbour without an n x k matrix of strings.
      const bool integers = row_ids->integers();
      outputs.push_back(std::make_unique<AtomicFile>(
          (std::filesystem::path(options.out) / (integers ? "ids.npy" : "ids.txt")).string()));
      outputs.back()->append(row_ids->table_bytes());
    }
    outputs.push_back(std::make_unique<AtomicFile>((std::filesystem::path(options.out) / "report.json").string()));
    outputs.back()->append(document.dump(2) + "\n");
    publish_outputs(options.out, outputs);
    if (!options.quiet) {
      // Stable name=value lines: SageMaker metric regexes read these.
      fmt::print("similarity_rows={}\nsimilarity_cols={}\nsimilarity_ranks={}\n", input.partition.rows(), d,
                 comm.size());
      fmt::print("similarity_wall_seconds={:.6f}\nsimilarity_compute_seconds={:.6f}\n", wall, compute_max);
      fmt::print("similarity_wait_seconds={:.6f}\nsimilarity_gflops={:.3f}\n", wait_max,
                 wall > 0 ? total_flops / wall / 1e9 : 0);
      fmt::print("similarity_bytes_sent={}\nsimilarity_peak_rss_mib={:.1f}\n", bytes_sent, peak_rss / (1 << 20));
      std::fflush(stdout);
    }
  }
  if (store) {
    // The results are published: the checkpoints have served (a rerun
    // starts afresh). Wait for rank 0 first, so a failed publish keeps them.
    PhaseScope phase("cleanup");
    comm.barrier();
    store->keep_only(-1);
  }
}

}  // namespace

TransportOptions transport_options(const RunOptions& options) {
  TransportOptions transport;
  transport.kind = options.transport;
  transport.bind = options.bind;
  transport.advertise = options.advertise;
  transport.tls_ca = options.tls_ca;
  transport.tls_cert = options.tls_cert;
  transport.tls_key = options.tls_key;
  transport.tls_ephemeral = options.tls_ephemeral;
  transport.tls_ciphersuites = options.tls_ciphersuites;
  transport.tls_crypto = options.tls_crypto;
  transport.encrypt = options.encrypt;
  transport.tls_identity_made_ahead = options.tls_identity_made_ahead;
  transport.connect_timeout_seconds = options.timeout;
  if (!options.hosts.empty()) {
    try {
      const RankMap map(options.hosts, options.processes_per_host);
      for (int r = 0; r < map.ranks(); ++r) transport.rank_hosts.push_back(map.host_of(r));
    } catch (const Error&) {
      // A bad map is reported, agreed, by apply_rank_map.
    }
  }
  return transport;
}

ModeOptions mode_options(const RunOptions& options) {
  ModeOptions mode;
  mode.mode = options.mode;
  mode.k = options.k;
  mode.threshold = options.threshold;
  mode.id_matrix = options.id_matrix;
  // No pairs.csv line is shorter than 6 bytes ("0,1,1\n"): a rank holding
  // more pairs than that allows is over the limit whatever the others hold.
  mode.max_pairs_per_rank = options.max_output_bytes / 6;
  mode.gather_chunk_pairs = options.gather_chunk_pairs;
  return mode;
}

void run_similarity_job(const RunOptions& requested, MpiComm& comm) {
  RunOptions options = requested;
  try {
    run_agreed(comm, [&] { validate(requested); });
    comm.set_timeout(Millis(static_cast<std::int64_t>(options.timeout * 1000)));
    apply_rank_map(options, comm);
    // Names for messages: each rank's host, once placed.
    comm.set_hosts(comm.allgather(identity_host()));
    set_rank_identity(comm.rank(), identity_host());
    if (options.dtype == Dtype::float64)
      run_typed<double>(options, comm);
    else
      run_typed<float>(options, comm);
  } catch (const std::exception& e) {
    if (!options.failure_file.empty()) {
      const bool agreed = dynamic_cast<const AgreedFailure*>(&e) != nullptr;
      write_failure_file(options.failure_file, "ringsim failed: " + (agreed ? std::string(e.what())
                                                                            : where_this_rank_is() + ": " + e.what()));
    }
    throw;
  }
}

}  // namespace ringsim

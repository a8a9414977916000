#include "engine/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/clock.hpp"
#include "common/host.hpp"
#include "engine/provenance.hpp"
#include "engine/run_options.hpp"
#include "kernels/gemm_backend.hpp"
#include "kernels/onednn_gemm.hpp"

namespace ringsim {

// report.json's "transport" object: the stats' fields under their own
// names, each written once here.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EdgeStats, peer, peer_host, encrypted, bytes_sent, bytes_received)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TransportStats, transport, cipher_suite, tls_crypto, ktls_send, ktls_receive,
                                   tls_pipelined, handshake_seconds, bytes_sent, bytes_received, send_seconds,
                                   receive_seconds, encrypt_seconds, decrypt_seconds, edges)

namespace {

using nlohmann::json;

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
      const auto absolute = file.format == "memory"
                                ? file.path
                                : std::filesystem::absolute(file.path, ignored).lexically_normal().string();
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

// report.json's "seconds": every timed phase under its name.
json phase_seconds(const PhaseTimer& timer) {
  json seconds = json::object();
  for (std::size_t p = 0; p < kTimedPhases; ++p) {
    const auto phase = static_cast<TimedPhase>(p);
    seconds[name_of(phase)] = timer.seconds(phase);
  }
  return seconds;
}

// Which float32 GEMM a CPU rank ran and why, with both rates where they
// were measured (null: not a CPU float32 job).
json float32_gemm_figures(const std::optional<F32GemmChoice>& choice) {
  if (!choice) return nullptr;
  const bool measured = choice->by == "measured";
  return {{"library", name_of(choice->gemm)},
          {"by", choice->by},
          {"openblas_gflops", measured ? json(choice->rates.openblas) : json(nullptr)},
          {"onednn_gflops", measured ? json(choice->rates.onednn) : json(nullptr)}};
}

// A rank's exact re-scoring figures (null: its tile scores decided).
json rescore_figures(const std::optional<TileRuleReport>& rule) {
  if (!rule) return nullptr;
  static constexpr const char* kNames[] = {"float32", "float64", "bfloat16", "tf32", "bfloat16"};
  return {{"gemm", kNames[static_cast<int>(rule->precision)]},
          {"bound", rule->bound},
          {"rows", rule->rescored.rows},
          {"rescored", rule->rescored.rescored},
          {"most_in_a_row", rule->rescored.most_in_a_row},
          {"float32_gemm", float32_gemm_figures(rule->float32_gemm)}};
}

// The job's float32 GEMM library: the ranks' common one, or "mixed" (each
// rank times its own core); rank 0's reason and rates.
json job_float32_gemm(const json& ranks) {
  const json& first = ranks.at(0)["rescore"]["float32_gemm"];
  if (first.is_null()) return nullptr;
  json job = first;
  for (const auto& r : ranks)
    if (r["rescore"]["float32_gemm"]["library"] != first["library"]) job["library"] = "mixed";
  return job;
}

// The job's precision (docs/precision.md): the GEMM that nominated
// candidates, its bound B, and the pairs re-scored per row (each pair
// counted at the row of the rank that computed it); no candidate buffer
// is fixed, so none overflows.
json job_precision(const json& ranks) {
  const json& first = ranks.at(0)["rescore"];
  if (first.is_null()) return {{"gemm", nullptr}, {"decisions", "tile scores"}};
  std::int64_t rows = 0, rescored = 0, most = 0;
  for (const auto& r : ranks) {
    rows += r["rescore"]["rows"].get<std::int64_t>();
    rescored += r["rescore"]["rescored"].get<std::int64_t>();
    most = std::max(most, r["rescore"]["most_in_a_row"].get<std::int64_t>());
  }
  return {{"gemm", first["gemm"]},
          {"decisions", "canonical float64 scores"},
          {"bound", first["bound"]},
          {"rescored_per_row_mean", rows > 0 ? static_cast<double>(rescored) / static_cast<double>(rows) : 0.0},
          {"rescored_per_row_max", most},
          {"candidate_overflow_rows", 0},
          {"float32_gemm", job_float32_gemm(ranks)}};
}

}  // namespace

namespace {

// This rank's entry in report.json's "ranks".
json rank_figures(const RunOptions& options, const RankReport& report, const LocalInput& input,
                  const TransportStats& stats, const JobFacts& facts, const Communicator& comm) {
  const int rank = comm.rank();
  const double flops = 2.0 * static_cast<double>(facts.cols) * static_cast<double>(report.entries);
  const double compute_seconds = report.seconds.seconds(TimedPhase::compute);
  json mine = {{"rank", rank},
               {"host", identity_host()},
               {"input_pieces", input_pieces(input, rank)},
               {"rows", report.rows},
               {"row_begin", input.partition.begin(rank)},
               {"seconds", phase_seconds(report.seconds)},
               {"similarity_entries", report.entries},
               {"gflops", compute_seconds > 0 ? flops / compute_seconds / 1e9 : 0.0},
               {"measured_gflops", input.rank_gflops.empty() ? json(nullptr) : json(input.rank_gflops[rank])},
               {"middle_step_rows_given", report.rows_given},
               {"middle_step_rows_taken", report.rows_taken},
               {"peak_rss_bytes", peak_rss_bytes()},
               {"device", report.device},
               {"transport", stats}};
  mine["rescore"] = rescore_figures(report.rule);
  if (facts.queries) {
    mine["query_rows"] = facts.queries->size(rank);
    mine["query_begin"] = facts.queries->begin(rank);
  }
  // Each machine's files once: its first rank describes (and hashes) them.
  const auto machines = comm.machines();
  const bool first_on_machine = std::find(machines.begin(), machines.end(), machines[rank]) - machines.begin() == rank;
  mine["inputs"] = first_on_machine ? describe_inputs_here(options) : json::array();
  return mine;
}

// Rank 0's sums over every rank's figures.
struct RankTotals {
  json ranks = json::array();
  double wall = 0, total_flops = 0, compute_max = 0, wait_max = 0, peak_rss = 0, ring_max = 0, rank_gflops_sum = 0;
  std::uint64_t bytes_sent = 0;
  // Each rank decides alone whether it pipelines its TLS records: the job's
  // answer is theirs when the ranks with encrypted edges agree, else null.
  json tls_pipelined = false;
  json inputs = json::array();
  std::vector<std::string> hosts;
};

RankTotals sum_ranks(const std::vector<std::string>& all, std::int64_t d) {
  RankTotals t;
  bool first_tls_rank = true;
  for (const auto& text : all) {
    json r = json::parse(text);
    for (auto& file : r["inputs"]) t.inputs.push_back(std::move(file));
    r.erase("inputs");
    if (std::find(t.hosts.begin(), t.hosts.end(), r["host"].get<std::string>()) == t.hosts.end())
      t.hosts.push_back(r["host"].get<std::string>());
    t.wall = std::max(t.wall, r["seconds"]["total"].get<double>());
    t.compute_max = std::max(t.compute_max, r["seconds"]["compute"].get<double>());
    t.wait_max = std::max(t.wait_max, r["seconds"]["communication_wait"].get<double>());
    t.ring_max = std::max(t.ring_max, r["seconds"]["ring"].get<double>());
    t.rank_gflops_sum += r["gflops"].get<double>();
    t.peak_rss = std::max(t.peak_rss, r["peak_rss_bytes"].get<double>());
    t.total_flops += 2.0 * static_cast<double>(d) * r["similarity_entries"].get<double>();
    t.bytes_sent += r["transport"]["bytes_sent"].get<std::uint64_t>();
    bool encrypts = false;
    for (const auto& edge : r["transport"]["edges"]) encrypts |= edge["encrypted"].get<bool>();
    if (encrypts) {
      const json pipelined = r["transport"]["tls_pipelined"];
      t.tls_pipelined = first_tls_rank || t.tls_pipelined == pipelined ? pipelined : json(nullptr);
      first_tls_rank = false;
    }
    t.ranks.push_back(std::move(r));
  }
  return t;
}

// report.json itself (rank 0).
json job_document(const RunOptions& options, const LocalInput& input, const TransportStats& stats,
                  const JobFacts& facts, int ranks_in_job, const RankTotals& t) {
  const std::int64_t d = facts.cols;
  json document = {
      {"n", input.partition.rows()},
      {"d", d},
      {"P", ranks_in_job},
      {"mode", to_string(options.mode)},
      {"score", to_string(options.score)},
      {"dtype", to_string(options.dtype)},
      {"transport", to_string(options.transport)},
      {"cipher_suite", stats.cipher_suite},
      {"tls_crypto", stats.tls_crypto},
      {"tls_pipelined", t.tls_pipelined},
      // The policy asked for (--encrypt); each edge's `encrypted`
      // says what it did. null: no TLS, nothing to encrypt.
      {"encrypt", options.transport == TransportKind::tls ? json(to_string(options.encrypt)) : json(nullptr)},
      // Whether checkpoints carry an HMAC (--checkpoint-key-file):
      // an unkeyed one trusts whoever can write the folder.
      // null: no checkpoints.
      {"checkpoints_keyed",
       options.checkpoint_dir.empty() ? json(nullptr) : json(!options.checkpoint_key_file.empty())},
      {"tile", {options.tile, options.tile}},
      {"gemm_backend", gemm_backend()},
      {"device", to_string(options.device)},
      {"resumed_steps", facts.resumed_steps},
      {"ring_steps", facts.ring_steps},
      {"balance", input.rank_gflops.empty() ? "even" : "measured"},
      // The ring's rate against the sum of what each rank achieved in its
      // own compute time: 1 when no rank ever waited for another.
      {"rank_gflops_sum", t.rank_gflops_sum},
      {"ring_gflops", t.ring_max > 0 ? t.total_flops / t.ring_max / 1e9 : 0},
      {"ring_rate_vs_rank_sum",
       t.ring_max > 0 && t.rank_gflops_sum > 0 ? t.total_flops / t.ring_max / 1e9 / t.rank_gflops_sum : 0},
      {"wall_seconds", t.wall},
      {"gflops_per_rank_mean", t.compute_max > 0 ? t.total_flops / ranks_in_job / t.compute_max / 1e9 : 0},
      {"job_gflops", t.wall > 0 ? t.total_flops / t.wall / 1e9 : 0},
      {"ranks", t.ranks}};
  // Only the mode's own settings: a threshold in a top-k report reads as
  // if it had been applied.
  // A queries job: its queries are the output's rows; every corpus row is a
  // candidate (all-pairs: every other row).
  const std::int64_t candidates = facts.queries ? input.partition.rows() : input.partition.rows() - 1;
  if (facts.queries) document["queries"] = facts.queries->rows();
  if (options.mode == Mode::topk) {
    document["k"] = options.k;
    document["empty_slots_per_row"] = std::max<std::int64_t>(0, options.k - candidates);
  }
  if (options.mode == Mode::threshold) document["threshold"] = options.threshold;
  document["precision"] = job_precision(t.ranks);
  // The tiles' GEMM was oneDNN's, not the float32 BLAS.
  const json& precision = document["precision"];
  if (precision["gemm"] == "bfloat16") document["gemm_backend"] = "onednn (" + onednn_isa_name() + ", bfloat16 inputs)";
  const json& float32 = precision.contains("float32_gemm") ? precision["float32_gemm"] : json(nullptr);
  const json float32_library = float32.is_object() ? float32["library"] : json(nullptr);
  const std::string onednn_float32 = "onednn (" + onednn_isa_name() + ", float32 inputs)";
  if (float32_library == "onednn") document["gemm_backend"] = onednn_float32;
  if (float32_library == "mixed")
    document["gemm_backend"] = gemm_backend() + " or " + onednn_float32 + " by rank (precision.float32_gemm)";
  document["provenance"] = job_provenance(options, t.inputs, t.hosts);
  return document;
}

}  // namespace

JobReport gather_job_report(const RunOptions& options, const RankReport& report, const LocalInput& input,
                            const TransportStats& stats, const JobFacts& facts, const Communicator& comm) {
  const auto all = comm.allgather(rank_figures(options, report, input, stats, facts, comm).dump());
  JobReport out;
  if (comm.rank() != 0) return out;
  const std::int64_t d = facts.cols;
  const RankTotals t = sum_ranks(all, d);
  out.rows_json = rows_manifest(t.ranks, input.partition.rows(), options.ids);
  out.report_json = job_document(options, input, stats, facts, comm.size(), t).dump(2) + "\n";
  if (!options.quiet) {
    // Stable name=value lines: SageMaker metric regexes read these.
    out.metric_lines =
        fmt::format("similarity_rows={}\nsimilarity_cols={}\nsimilarity_ranks={}\n", input.partition.rows(), d,
                    comm.size()) +
        fmt::format("similarity_wall_seconds={:.6f}\nsimilarity_compute_seconds={:.6f}\n", t.wall, t.compute_max) +
        fmt::format("similarity_wait_seconds={:.6f}\nsimilarity_gflops={:.3f}\n", t.wait_max,
                    t.wall > 0 ? t.total_flops / t.wall / 1e9 : 0) +
        fmt::format("similarity_bytes_sent={}\nsimilarity_peak_rss_mib={:.1f}\n", t.bytes_sent, t.peak_rss / (1 << 20));
  }
  return out;
}

void print_metric_lines(const JobReport& report) {
  if (report.metric_lines.empty()) return;
  std::fputs(report.metric_lines.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace ringsim

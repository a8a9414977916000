#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <span>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/fault_injection.hpp"
#include "engine/mode_common.hpp"
#include "engine/npy.hpp"
#include "engine/output_budget.hpp"
#include "engine/progress.hpp"
#include "engine/received_state.hpp"
#include "engine/result_files.hpp"
#include "engine/row_ids.hpp"

namespace ringsim {

namespace {

using namespace mode_detail;

// Threshold mode: every pair scoring at or above the threshold.
//
// Every pair is computed by exactly one rank. Each rank sorts its own pairs
// by (i, j); rank 0 merges the P sorted streams into pairs.csv, pulling each
// rank's pairs in chunks as the merge needs them. Rank 0 therefore holds its
// own pairs plus one chunk per rank, never the whole result.
//
// Pull protocol, per sender: rank 0 sends 8-byte control words, kRequest
// (send your next chunk) or kStillWriting (a keep-alive while the merge is
// busy with other ranks' pairs, so that a sender waiting its turn does not
// take rank 0 for dead); the sender answers each request with one chunk.
// Keep-alives go only to senders with chunks not yet requested, so every
// control word is read.
template <class Scalar>
class ThresholdMode : public RingMode<Scalar> {
  using Pair = ScoredPair<Scalar>;
  static constexpr std::int64_t kRequest = 1, kStillWriting = 2;

 public:
  ThresholdMode(const ModeContext& context, double threshold, std::int64_t max_pairs_per_rank, std::int64_t chunk_pairs)
      : context_(context),
        consumer_(threshold, max_pairs_per_rank, context.query_partition ? PairOrder::own_first : PairOrder::by_id),
        chunk_pairs_(std::max<std::int64_t>(1, chunk_pairs)) {}

  TileConsumer<Scalar>& start_step(int, const TileAssignment&) override { return consumer_; }
  bool shares_rows() const override { return true; }
  void end_step(int, const TileAssignment&) override {}
  void finish() override {}

  // Pairs only accumulate: each save writes the ones found since the last
  // (rewriting all of them made checkpoints cost a third of a long job).
  std::string save() const override {
    const auto& pairs = consumer_.pairs();
    const auto fresh = std::span<const Pair>(pairs).subspan(saved_pairs_);
    saved_pairs_ = pairs.size();
    return as_chars(fresh);
  }
  bool saves_increments() const override { return true; }

  void restore(const std::string& state) override {
    auto& pairs = consumer_.pairs();
    if (state.size() % sizeof(Pair) != 0)
      throw IoError("threshold checkpoint of another shape (" + std::to_string(state.size()) +
                    " bytes, not whole pairs); refused");
    pairs.resize(state.size() / sizeof(Pair));
    copy_bytes(pairs.data(), state.data(), state.size());
    check_pairs<Pair>(std::span<const Pair>(pairs), context_.pair_space(), consumer_.threshold(), nullptr, false,
                      "a threshold checkpoint", context_.score_bound);
    saved_pairs_ = pairs.size();
  }

  double output_bytes_here() const override {
    double bytes = 0;
    for (const auto& pair : consumer_.pairs()) bytes += static_cast<double>(pair_line_bytes(pair.i, pair.j));
    return bytes;
  }

  StagedOutputs gather_and_write(const std::string& out_dir) override {
    Transport& transport = context_.transport;
    auto& pairs = consumer_.pairs();
    std::sort(pairs.begin(), pairs.end(), before);
    if (transport.rank() != 0) {
      serve(pairs);
      return {};
    }
    return merge_into(out_dir, pairs);
  }

 private:
  static bool before(const Pair& a, const Pair& b) { return a.i != b.i ? a.i < b.i : a.j < b.j; }

  // One record of pairs.npy: numpy packs a list descr without padding.
  struct __attribute__((packed)) PairRecord {
    std::int64_t i, j;
    float score;
  };
  static_assert(sizeof(PairRecord) == kPairRecordBytes);

  static void append_records(AtomicFile& file, std::vector<PairRecord>& buffer) {
    file.append(std::as_bytes(std::span<const PairRecord>(buffer)));
    buffer.clear();
  }

  std::int64_t chunk_size(std::int64_t total, std::int64_t sent) const { return std::min(chunk_pairs_, total - sent); }

  void serve(const std::vector<Pair>& pairs) {
    Transport& transport = context_.transport;
    const std::int64_t count = static_cast<std::int64_t>(pairs.size());
    transport.send(0, as_bytes_of(&count, 1), context_.follower_timeout());
    for (std::int64_t sent = 0; sent < count;) {
      std::int64_t word = 0;
      transport.recv(0, as_writable_bytes_of(&word, 1), context_.follower_timeout());
      if (word == kStillWriting) continue;
      RINGSIM_ENFORCE(word == kRequest, "unknown control word from rank 0");
      const std::int64_t size = chunk_size(count, sent);
      transport.send(0, as_bytes_of(pairs.data() + sent, static_cast<std::size_t>(size)), context_.follower_timeout());
      sent += size;
    }
  }

  // One sorted stream: this rank's pairs, or chunks pulled from a peer.
  struct Stream {
    int source = 0;
    std::int64_t total = 0, requested = 0;  // pairs in all, pairs asked for so far
    std::vector<Pair> chunk;
    std::size_t at = 0;
    const Pair* own = nullptr;  // rank 0's own pairs (no chunks)
    const Pair& head() const { return own ? own[at] : chunk[at]; }
    std::int64_t left_in_chunk() const { return static_cast<std::int64_t>(own ? total : chunk.size()) - at; }
  };

  void pull(Stream& stream) {
    Transport& transport = context_.transport;
    const std::int64_t size = chunk_size(stream.total, stream.requested);
    transport.send(stream.source, as_bytes_of(&kRequest, 1), context_.timeout);
    stream.chunk.resize(static_cast<std::size_t>(size));
    const Pair last = stream.chunk.empty() ? Pair{-1, -1, Scalar{}} : stream.chunk.back();
    transport.recv(stream.source, as_writable_bytes_of(stream.chunk.data(), stream.chunk.size()), context_.timeout);
    check_pairs<Pair>(std::span<const Pair>(stream.chunk), context_.pair_space(), consumer_.threshold(),
                      stream.requested > 0 ? &last : nullptr, true,
                      "the pairs rank " + std::to_string(stream.source) + " sent", context_.score_bound);
    stream.requested += size;
    stream.at = 0;
  }

  StagedOutputs merge_into(const std::string& out_dir, const std::vector<Pair>& own) {
    Transport& transport = context_.transport;
    std::vector<Stream> streams(static_cast<std::size_t>(transport.size()));
    streams[0].own = own.data();
    streams[0].total = static_cast<std::int64_t>(own.size());
    for (int source = 1; source < transport.size(); ++source) {
      Stream& stream = streams[source];
      stream.source = source;
      transport.recv(source, as_writable_bytes_of(&stream.total, 1), context_.timeout);
      if (stream.total < 0 || stream.total > context_.pair_space().pairs())
        throw IoError("rank " + std::to_string(source) + " announced " + std::to_string(stream.total) +
                      " pairs, more than the matrix has; refused");
      if (stream.total > 0) pull(stream);
    }
    // Min-heap of stream indices by their head pair.
    const auto later = [&](int a, int b) { return before(streams[b].head(), streams[a].head()); };
    std::vector<int> heap;
    for (int s = 0; s < transport.size(); ++s)
      if (streams[s].total > 0) heap.push_back(s);
    std::make_heap(heap.begin(), heap.end(), later);

    double total_pairs = 0, pairs_written = 0, bytes_written = 0;
    for (const auto& stream : streams) total_pairs += static_cast<double>(stream.total);
    StagedOutputs staged;
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kPairsCsv)));
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kPairsNpy)));
    AtomicFile& file = *staged[0];
    // The same pairs as records a program loads at memory speed (np.load:
    // pairs["i"], pairs["j"], pairs["score"]); the CSV's text is for people
    // and spreadsheets.
    AtomicFile& records = *staged[1];
    records.append(
        make_npy_record_header({{"i", "<i8"}, {"j", "<i8"}, {"score", "<f4"}}, static_cast<std::int64_t>(total_pairs)));
    std::vector<PairRecord> record_buffer;
    // Names for i and j: one table within the input; with --queries, the
    // query ids for i and the corpus ids for j (a side without ids: its row number).
    const RowIds* names_i = context_.query_partition ? context_.query_ids : context_.ids;
    const RowIds* names_j = context_.ids;
    const bool names = names_i || names_j;
    file.append(std::string(names ? "i,j,score,id_i,id_j\n" : "i,j,score\n"));
    inject_fault_at("write-file", 0);
    std::string text;
    auto last_keep_alive = Clock::now();
    WriteProgress progress(context_.progress_seconds, total_pairs);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      Stream& stream = streams[heap.back()];
      const Pair& pair = stream.head();
      // Scores are written as float32, shortest round-trip text (a float64
      // job's pairs hold their canonical score in double).
      fmt::format_to(std::back_inserter(text), "{},{},{}", pair.i, pair.j, static_cast<float>(pair.score));
      record_buffer.push_back(PairRecord{pair.i, pair.j, static_cast<float>(pair.score)});
      if (names) {
        text += ',';
        append_csv_field(text, names_i ? names_i->text(pair.i) : std::to_string(pair.i));
        text += ',';
        append_csv_field(text, names_j ? names_j->text(pair.j) : std::to_string(pair.j));
      }
      text += '\n';
      ++stream.at;
      ++pairs_written;
      if (stream.left_in_chunk() > 0) {
        std::push_heap(heap.begin(), heap.end(), later);
      } else if (!stream.own && stream.requested < stream.total) {
        pull(stream);
        std::push_heap(heap.begin(), heap.end(), later);
      } else {
        heap.pop_back();
      }
      if (text.size() > (1 << 20)) {
        file.append(text);
        append_records(records, record_buffer);
        bytes_written += static_cast<double>(text.size());
        text.clear();
        progress.done(pairs_written, bytes_written);
        if (Clock::now() - last_keep_alive > std::chrono::seconds(1)) {
          for (auto& waiting : streams)
            if (!waiting.own && waiting.requested < waiting.total)
              transport.send(waiting.source, as_bytes_of(&kStillWriting, 1), context_.timeout);
          last_keep_alive = Clock::now();
        }
      }
    }
    file.append(text);
    append_records(records, record_buffer);
    return staged;
  }

  ModeContext context_;
  ThresholdConsumer<Scalar> consumer_;
  std::int64_t chunk_pairs_;
  mutable std::size_t saved_pairs_ = 0;  // pairs already in a checkpoint
};

}  // namespace

template <class Scalar>
ModePtr<Scalar> make_threshold_mode(const ModeOptions& options, const ModeContext& context) {
  return std::make_unique<ThresholdMode<Scalar>>(context, options.threshold, options.max_pairs_per_rank,
                                                 options.gather_chunk_pairs);
}
template ModePtr<float> make_threshold_mode(const ModeOptions&, const ModeContext&);
template ModePtr<double> make_threshold_mode(const ModeOptions&, const ModeContext&);

}  // namespace ringsim

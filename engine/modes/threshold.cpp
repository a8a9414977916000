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
#include "engine/io/npy.hpp"
#include "engine/modes/bytes.hpp"
#include "engine/modes/handlers.hpp"
#include "engine/output_budget.hpp"
#include "engine/progress.hpp"
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
class ThresholdHandler : public ResultHandler<Scalar> {
  using Pair = ScoredPair<Scalar>;
  static constexpr std::int64_t kRequest = 1, kStillWriting = 2;

 public:
  ThresholdHandler(const ModeOptions& options, const ResultContext& context)
      : context_(context),
        consumer_(options.threshold, options.max_pairs_per_rank,
                  context.query_partition ? PairOrder::own_first : PairOrder::by_id),
        chunk_pairs_(std::max<std::int64_t>(1, options.gather_chunk_pairs)) {}

  TileConsumer<Scalar>& begin(int, const TileAssignment&) override { return consumer_; }

  // Pairs only accumulate: each save writes the ones found since the last
  // (rewriting all of them made checkpoints cost a third of a long job).
  std::string save() const override {
    // The kept pairs are incomplete: resuming from them would write a wrong
    // result. Saving is agreed, so this fails every rank at once.
    if (consumer_.over_cap()) throw InputError("this rank " + pair_cap_message(consumer_.max_pairs()));
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
  bool over_pair_cap() const override { return consumer_.over_cap(); }

  void ship(RootLink& link) override { serve(link, sorted_pairs()); }
  StagedOutputs write(RootLink& link, const std::string& out_dir) override {
    return merge_into(link, out_dir, sorted_pairs());
  }

 private:
  static bool before(const Pair& a, const Pair& b) { return a.i != b.i ? a.i < b.i : a.j < b.j; }

  const std::vector<Pair>& sorted_pairs() {
    auto& pairs = consumer_.pairs();
    std::sort(pairs.begin(), pairs.end(), before);
    return pairs;
  }

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

  void serve(RootLink& link, const std::vector<Pair>& pairs) {
    const std::int64_t count = static_cast<std::int64_t>(pairs.size());
    link.send_to_root(as_bytes_of(&count, 1));
    for (std::int64_t sent = 0; sent < count;) {
      std::int64_t word = 0;
      link.receive_from_root(as_writable_bytes_of(&word, 1));
      if (word == kStillWriting) continue;
      RINGSIM_ENFORCE(word == kRequest, "unknown control word from rank 0");
      const std::int64_t size = chunk_size(count, sent);
      link.send_to_root(as_bytes_of(pairs.data() + sent, static_cast<std::size_t>(size)));
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

  void pull(RootLink& link, Stream& stream) {
    const std::int64_t size = chunk_size(stream.total, stream.requested);
    link.send_to(stream.source, as_bytes_of(&kRequest, 1));
    stream.chunk.resize(static_cast<std::size_t>(size));
    const Pair last = stream.chunk.empty() ? Pair{-1, -1, Scalar{}} : stream.chunk.back();
    link.receive_from(stream.source, as_writable_bytes_of(stream.chunk.data(), stream.chunk.size()));
    check_pairs<Pair>(std::span<const Pair>(stream.chunk), context_.pair_space(), consumer_.threshold(),
                      stream.requested > 0 ? &last : nullptr, true,
                      "the pairs rank " + std::to_string(stream.source) + " sent", context_.score_bound);
    stream.requested += size;
    stream.at = 0;
  }

  // Rank 0: one stream per rank, each peer's announced count checked and
  // its first chunk pulled.
  std::vector<Stream> open_streams(RootLink& link, const std::vector<Pair>& own) {
    std::vector<Stream> streams(static_cast<std::size_t>(link.ranks()));
    streams[0].own = own.data();
    streams[0].total = static_cast<std::int64_t>(own.size());
    for (int source = 1; source < link.ranks(); ++source) {
      Stream& stream = streams[source];
      stream.source = source;
      link.receive_from(source, as_writable_bytes_of(&stream.total, 1));
      if (stream.total < 0 || stream.total > context_.pair_space().pairs())
        throw IoError("rank " + std::to_string(source) + " announced " + std::to_string(stream.total) +
                      " pairs, more than the matrix has; refused");
      if (stream.total > 0) pull(link, stream);
    }
    return streams;
  }

  // pairs.csv and, the same pairs as records a program loads at memory
  // speed (np.load: pairs["i"], pairs["j"], pairs["score"]), pairs.npy; the
  // CSV's text is for people and spreadsheets. Buffered, appended a
  // megabyte of text at a time.
  class PairFiles {
   public:
    PairFiles(const ResultContext& context, const std::string& out_dir, double total_pairs)
        // Names for i and j: one table within the input; with --queries, the
        // query ids for i and the corpus ids for j (a side without ids: its row number).
        : names_i_(context.query_partition ? context.query_ids : context.ids),
          names_j_(context.ids),
          progress_(context.progress_seconds, total_pairs) {
      staged_.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kPairsCsv)));
      staged_.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kPairsNpy)));
      staged_[1]->append(make_npy_record_header({{"i", "<i8"}, {"j", "<i8"}, {"score", "<f4"}},
                                                static_cast<std::int64_t>(total_pairs)));
      staged_[0]->append(std::string(names_i_ || names_j_ ? "i,j,score,id_i,id_j\n" : "i,j,score\n"));
    }
    void add(const Pair& pair) {
      // Scores are written as float32, shortest round-trip text (a float64
      // job's pairs hold their canonical score in double).
      fmt::format_to(std::back_inserter(text_), "{},{},{}", pair.i, pair.j, static_cast<float>(pair.score));
      records_.push_back(PairRecord{pair.i, pair.j, static_cast<float>(pair.score)});
      if (names_i_ || names_j_) {
        text_ += ',';
        append_csv_field(text_, names_i_ ? names_i_->text(pair.i) : std::to_string(pair.i));
        text_ += ',';
        append_csv_field(text_, names_j_ ? names_j_->text(pair.j) : std::to_string(pair.j));
      }
      text_ += '\n';
      ++pairs_written_;
    }
    // Appends the buffers once they hold a megabyte of text; whether it did.
    bool flush_if_full() {
      if (text_.size() <= (1 << 20)) return false;
      flush();
      progress_.done(pairs_written_, bytes_written_);
      return true;
    }
    StagedOutputs finish() {
      flush();
      return std::move(staged_);
    }

   private:
    void flush() {
      staged_[0]->append(text_);
      append_records(*staged_[1], records_);
      bytes_written_ += static_cast<double>(text_.size());
      text_.clear();
    }

    const RowIds* names_i_;
    const RowIds* names_j_;
    StagedOutputs staged_;
    std::string text_;
    std::vector<PairRecord> records_;
    double pairs_written_ = 0, bytes_written_ = 0;
    WriteProgress progress_;
  };

  // Keep-alives to the ranks whose pairs the merge has not yet asked for.
  static void keep_waiting_ranks_alive(RootLink& link, const std::vector<Stream>& streams) {
    for (const auto& waiting : streams)
      if (!waiting.own && waiting.requested < waiting.total)
        link.send_to(waiting.source, as_bytes_of(&kStillWriting, 1));
  }

  StagedOutputs merge_into(RootLink& link, const std::string& out_dir, const std::vector<Pair>& own) {
    std::vector<Stream> streams = open_streams(link, own);
    // Min-heap of stream indices by their head pair.
    const auto later = [&](int a, int b) { return before(streams[b].head(), streams[a].head()); };
    std::vector<int> heap;
    double total_pairs = 0;
    for (int s = 0; s < link.ranks(); ++s) {
      if (streams[s].total > 0) heap.push_back(s);
      total_pairs += static_cast<double>(streams[s].total);
    }
    std::make_heap(heap.begin(), heap.end(), later);
    PairFiles files(context_, out_dir, total_pairs);
    inject_fault_at("write-file", 0);
    auto last_keep_alive = Clock::now();
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      Stream& stream = streams[heap.back()];
      files.add(stream.head());
      ++stream.at;
      if (stream.left_in_chunk() > 0) {
        std::push_heap(heap.begin(), heap.end(), later);
      } else if (!stream.own && stream.requested < stream.total) {
        pull(link, stream);
        std::push_heap(heap.begin(), heap.end(), later);
      } else {
        heap.pop_back();
      }
      if (files.flush_if_full() && Clock::now() - last_keep_alive > std::chrono::seconds(1)) {
        keep_waiting_ranks_alive(link, streams);
        last_keep_alive = Clock::now();
      }
    }
    return files.finish();
  }

  ResultContext context_;
  ThresholdConsumer<Scalar> consumer_;
  std::int64_t chunk_pairs_;
  mutable std::size_t saved_pairs_ = 0;  // pairs already in a checkpoint
};

}  // namespace

template <class Scalar>
HandlerPtr<Scalar> make_threshold_handler(const ModeOptions& options, const ResultContext& context) {
  return std::make_unique<ThresholdHandler<Scalar>>(options, context);
}
template HandlerPtr<float> make_threshold_handler(const ModeOptions&, const ResultContext&);
template HandlerPtr<double> make_threshold_handler(const ModeOptions&, const ResultContext&);

}  // namespace ringsim

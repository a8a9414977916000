#include "engine/ring_mode.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <span>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/fault_injection.hpp"
#include "engine/npy.hpp"
#include "engine/output_budget.hpp"
#include "engine/received_state.hpp"
#include "engine/row_ids.hpp"

namespace ringsim {

namespace fs = std::filesystem;

void timed_wait(const ModeContext& context, Request& request) {
  ScopedTimer timer(*context.wait_seconds);
  request.wait(context.timeout);
}

namespace {

std::string output_path(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

// memcpy, but for an empty state too: a rank without rows restores empty
// buffers, whose data() may be null, and memcpy(nullptr, ..., 0) is undefined.
void copy_bytes(void* to, const char* from, std::size_t bytes) {
  if (bytes > 0) std::memcpy(to, from, bytes);
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
void append_csv_field(std::string& out, const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) {
    out += field;
    return;
  }
  out += '"';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

template <class T>
std::string as_chars(std::span<const T> values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size_bytes());
}

template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return as_bytes_of(v.data(), v.size());
}
template <class T>
std::span<std::byte> writable_bytes_of(std::vector<T>& v) {
  return as_writable_bytes_of(v.data(), v.size());
}

// ---------------------------------------------------------------- top-k
//
// Each tile updates two accumulators: this rank's rows and the visiting
// block's rows. The visiting one is a partial result for another rank; it is
// sent to its owner at the end of the step and merged there one step later,
// so at most two partials per direction are alive at any time.
template <class Scalar>
class TopKMode : public RingMode<Scalar> {
 public:
  TopKMode(const ModeOptions& options, const ModeContext& context)
      : context_(context),
        schedule_(context.transport.size()),
        rank_(context.transport.rank()),
        k_(options.k),
        id_matrix_(options.id_matrix),
        own_(context.partition.size(rank_), options.k) {}

  // The owner's k-th scores travel one message behind its block (sent when
  // its diagonal step is done, forwarded by each holder), so every partial
  // list starts with the owner's bar instead of empty: most candidates are
  // then rejected by the vectorised test instead of entering and leaving
  // lists at the start of every step.
  void on_block_received(int step) override {
    const int block = schedule_.visiting_block(rank_, step);
    floor_in_.assign(static_cast<std::size_t>(context_.partition.size(block)), Scalar{});
    floor_recv_ =
        context_.transport.irecv(schedule_.left(rank_), as_writable_bytes_of(floor_in_.data(), floor_in_.size()));
  }

  TileConsumer<Scalar>& start_step(int step, const TileAssignment& assignment) override {
    if (step == 0) {
      consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, own_);
      return *consumer_;
    }
    // The owner's bar, if it is here: the owner may still be on its
    // diagonal (a faster rank holding more rows). Without it the partial
    // lists start empty, which costs some selection time and changes no
    // result; it is then collected and passed on at the end of the step.
    step_ = step;
    const bool floor_here = floor_recv_->test();
    if (floor_here) pass_floor_on(step);
    // The partial for our rows computed at this step by another rank.
    Incoming incoming{std::make_unique<TopKAccumulator<Scalar>>(own_.rows(), k_), {}, {}};
    incoming.scores = context_.transport.irecv(
        schedule_.partial_source(rank_, step),
        as_writable_bytes_of(incoming.acc->score_data().data(), incoming.acc->score_data().size()));
    incoming.ids =
        context_.transport.irecv(schedule_.partial_source(rank_, step),
                                 as_writable_bytes_of(incoming.acc->id_data().data(), incoming.acc->id_data().size()));
    incoming_.push_back(std::move(incoming));
    visiting_ = std::make_unique<TopKAccumulator<Scalar>>(context_.partition.size(assignment.visiting_block), k_);
    if (floor_here) visiting_->raise_floor(floor_out_);
    consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, *visiting_);
    return *consumer_;
  }

  bool shares_rows() const override { return true; }

  // A floor that arrives during the step raises the bar from then on.
  void between_tiles() override {
    if (!floor_recv_ || !visiting_ || !floor_recv_->test()) return;
    pass_floor_on(step_);
    visiting_->raise_floor(floor_out_);
  }

  void end_step(int step, const TileAssignment& assignment) override {
    if (step == 0) {
      if (schedule_.steps() > 1) {
        floor_out_.assign(own_.kth_scores(), own_.kth_scores() + own_.rows());
        floor_send_ =
            context_.transport.isend(schedule_.right(rank_), as_bytes_of(floor_out_.data(), floor_out_.size()));
      }
      return;
    }
    if (floor_recv_) {
      timed_wait(context_, *floor_recv_);
      pass_floor_on(step);
    }
    Outgoing outgoing{std::move(visiting_), {}, {}};
    outgoing.scores = context_.transport.isend(
        assignment.visiting_block, as_bytes_of(outgoing.acc->score_data().data(), outgoing.acc->score_data().size()));
    outgoing.ids = context_.transport.isend(
        assignment.visiting_block, as_bytes_of(outgoing.acc->id_data().data(), outgoing.acc->id_data().size()));
    outgoing_.push_back(std::move(outgoing));
    // Settle the previous step's traffic now that this step's is posted.
    while (outgoing_.size() > 1) settle_outgoing();
    while (incoming_.size() > 1) settle_incoming();
  }

  void finish() override {
    if (floor_send_) timed_wait(context_, *floor_send_);
    settle();
  }

  void settle() override {
    while (!outgoing_.empty()) settle_outgoing();
    while (!incoming_.empty()) settle_incoming();
  }

  std::string save() const override {
    std::string state(as_chars(own_.score_data()));
    state += as_chars(own_.id_data());
    return state;
  }

  void restore(const std::string& state) override {
    const std::size_t score_bytes = own_.score_data().size_bytes();
    if (state.size() != score_bytes + own_.id_data().size_bytes())
      throw IoError("top-k checkpoint of another shape (" + std::to_string(state.size()) + " bytes, expected " +
                    std::to_string(score_bytes + own_.id_data().size_bytes()) + "); refused");
    copy_bytes(own_.score_data().data(), state.data(), score_bytes);
    copy_bytes(own_.id_data().data(), state.data() + score_bytes, own_.id_data().size_bytes());
    check_topk_lists<Scalar>(own_.id_data(), own_.score_data(), context_.partition.rows(),
                             "rank " + std::to_string(rank_) + "'s top-k checkpoint", context_.score_bound);
    own_.refresh_kth();
  }

  // The visiting block's floor comes from its owner (its k-th scores as
  // restored), and ours goes to the rank holding our block at `step`.
  void resume_at(int step) override {
    const int block = schedule_.visiting_block(rank_, step);
    floor_in_.assign(static_cast<std::size_t>(context_.partition.size(block)), Scalar{});
    floor_recv_ = context_.transport.irecv(block, as_writable_bytes_of(floor_in_.data(), floor_in_.size()));
    floor_out_.assign(own_.kth_scores(), own_.kth_scores() + own_.rows());
    floor_send_ =
        context_.transport.isend((rank_ + step) % schedule_.ranks(), as_bytes_of(floor_out_.data(), floor_out_.size()));
  }

  StagedOutputs gather_and_write(const std::string& out_dir) override {
    Transport& transport = context_.transport;
    if (rank_ != 0) {
      transport.send(0, as_bytes_of(own_.score_data().data(), own_.score_data().size()), context_.timeout);
      transport.send(0, as_bytes_of(own_.id_data().data(), own_.id_data().size()), context_.timeout);
      return {};
    }
    const std::int64_t n = context_.partition.rows();
    StagedOutputs staged;
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, "neighbors.npy")));
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, "scores.npy")));
    AtomicFile& neighbors = *staged[0];
    AtomicFile& scores = *staged[1];
    const RowIds* names = context_.ids && (context_.ids->integers() || id_matrix_) ? context_.ids : nullptr;
    std::string names_header;
    std::int64_t name_bytes = 0;
    if (names) {
      staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, "neighbor_ids.npy")));
      names_header = make_npy_header(names->npy_descr(), {n, k_});
      name_bytes = static_cast<std::int64_t>(names->npy_bytes({-1}).size());
      staged.back()->append(names_header);
    }
    const std::string neighbors_header = make_npy_header("<i8", {n, k_});
    const std::string scores_header = make_npy_header("<f4", {n, k_});
    neighbors.append(neighbors_header);
    scores.append(scores_header);
    for (int source = 0; source < transport.size(); ++source) {
      const std::int64_t rows = context_.partition.size(source);
      TopKAccumulator<Scalar> received(rows, k_);
      TopKAccumulator<Scalar>& block = source == 0 ? own_ : received;
      if (source != 0) {
        transport.recv(source, as_writable_bytes_of(received.score_data().data(), received.score_data().size()),
                       context_.timeout);
        transport.recv(source, as_writable_bytes_of(received.id_data().data(), received.id_data().size()),
                       context_.timeout);
        check_topk_lists<Scalar>(received.id_data(), received.score_data(), n,
                                 "the top-k lists rank " + std::to_string(source) + " sent", context_.score_bound);
      }
      // Empty slots (fewer than k other rows) become id -1 and score NaN.
      std::vector<std::int64_t> ids(block.id_data().begin(), block.id_data().end());
      std::vector<float> values(ids.size());
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const bool empty = ids[i] == TopKAccumulator<Scalar>::kEmptyId;
        values[i] = empty ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(block.score_data()[i]);
        if (empty) ids[i] = -1;
      }
      const std::int64_t row0 = context_.partition.begin(source);
      neighbors.write_at(static_cast<std::int64_t>(neighbors_header.size()) + row0 * k_ * 8, bytes_of(ids));
      scores.write_at(static_cast<std::int64_t>(scores_header.size()) + row0 * k_ * 4, bytes_of(values));
      if (names) {
        const std::string bytes = names->npy_bytes(ids);
        staged[2]->write_at(static_cast<std::int64_t>(names_header.size()) + row0 * k_ * name_bytes,
                            std::as_bytes(std::span(bytes)));
      }
      if (source == 0) inject_fault_at("write-file", rank_);
    }
    return staged;
  }

 private:
  // The visiting block's floor has arrived: hand it to the right neighbour,
  // which holds this block next step.
  void pass_floor_on(int step) {
    floor_recv_.reset();
    if (floor_send_) timed_wait(context_, *floor_send_);
    std::swap(floor_in_, floor_out_);
    if (step < schedule_.steps() - 1)
      floor_send_ = context_.transport.isend(schedule_.right(rank_), as_bytes_of(floor_out_.data(), floor_out_.size()));
  }

  struct Incoming {
    std::unique_ptr<TopKAccumulator<Scalar>> acc;
    RequestPtr scores, ids;
  };
  struct Outgoing {
    std::unique_ptr<TopKAccumulator<Scalar>> acc;
    RequestPtr scores, ids;
  };

  void settle_incoming() {
    Incoming& front = incoming_.front();
    timed_wait(context_, *front.scores);
    timed_wait(context_, *front.ids);
    check_topk_lists<Scalar>(front.acc->id_data(), front.acc->score_data(), context_.partition.rows(),
                             "a partial top-k list from a peer", context_.score_bound);
    front.acc->refresh_kth();
    own_.merge(*front.acc);
    incoming_.pop_front();
  }
  void settle_outgoing() {
    timed_wait(context_, *outgoing_.front().scores);
    timed_wait(context_, *outgoing_.front().ids);
    outgoing_.pop_front();
  }

  ModeContext context_;
  int step_ = 0;  // the step being computed
  RingSchedule schedule_;
  int rank_;
  int k_;
  bool id_matrix_;  // neighbor_ids.npy for string ids too
  TopKAccumulator<Scalar> own_;
  std::unique_ptr<TopKAccumulator<Scalar>> visiting_;
  std::unique_ptr<TopKConsumer<Scalar>> consumer_;
  std::deque<Incoming> incoming_;
  std::deque<Outgoing> outgoing_;
  std::vector<Scalar> floor_in_, floor_out_;  // k-th scores of the visiting block's owner
  RequestPtr floor_recv_, floor_send_;
};

// ------------------------------------------------------------- threshold
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
  ThresholdMode(const ModeOptions& options, const ModeContext& context)
      : context_(context),
        consumer_(static_cast<Scalar>(options.threshold), options.max_pairs_per_rank),
        chunk_pairs_(std::max<std::int64_t>(1, options.gather_chunk_pairs)) {}

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
    check_pairs<Pair>(std::span<const Pair>(pairs), context_.partition.rows(), consumer_.threshold(), nullptr, false,
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

  std::int64_t chunk_size(std::int64_t total, std::int64_t sent) const { return std::min(chunk_pairs_, total - sent); }

  void serve(const std::vector<Pair>& pairs) {
    Transport& transport = context_.transport;
    const std::int64_t count = static_cast<std::int64_t>(pairs.size());
    transport.send(0, as_bytes_of(&count, 1), context_.timeout);
    for (std::int64_t sent = 0; sent < count;) {
      std::int64_t word = 0;
      transport.recv(0, as_writable_bytes_of(&word, 1), context_.timeout);
      if (word == kStillWriting) continue;
      RINGSIM_ENFORCE(word == kRequest, "unknown control word from rank 0");
      const std::int64_t size = chunk_size(count, sent);
      transport.send(0, as_bytes_of(pairs.data() + sent, static_cast<std::size_t>(size)), context_.timeout);
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
    check_pairs<Pair>(std::span<const Pair>(stream.chunk), context_.partition.rows(), consumer_.threshold(),
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
      const std::int64_t n = context_.partition.rows();
      if (stream.total < 0 || (n > 1 && stream.total > n / 2 * (n - 1) + (n % 2) * ((n - 1) / 2)) ||
          (n <= 1 && stream.total > 0))
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

    StagedOutputs staged;
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, "pairs.csv")));
    AtomicFile& file = *staged[0];
    const RowIds* names = context_.ids;
    file.append(std::string(names ? "i,j,score,id_i,id_j\n" : "i,j,score\n"));
    inject_fault_at("write-file", 0);
    std::string text;
    auto last_keep_alive = Clock::now();
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      Stream& stream = streams[heap.back()];
      const Pair& pair = stream.head();
      fmt::format_to(std::back_inserter(text), "{},{},{}", pair.i, pair.j, pair.score);  // shortest round-trip
      if (names) {
        text += ',';
        append_csv_field(text, names->text(pair.i));
        text += ',';
        append_csv_field(text, names->text(pair.j));
      }
      text += '\n';
      ++stream.at;
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
        text.clear();
        if (Clock::now() - last_keep_alive > std::chrono::seconds(1)) {
          for (auto& waiting : streams)
            if (!waiting.own && waiting.requested < waiting.total)
              transport.send(waiting.source, as_bytes_of(&kStillWriting, 1), context_.timeout);
          last_keep_alive = Clock::now();
        }
      }
    }
    file.append(text);
    return staged;
  }

  ModeContext context_;
  ThresholdConsumer<Scalar> consumer_;
  std::int64_t chunk_pairs_;
  mutable std::size_t saved_pairs_ = 0;  // pairs already in a checkpoint
};

// ------------------------------------------------------------------ full
//
// Each rank keeps the dense bands it computed (about n^2 / (2P) entries, the
// output itself) and sends them to rank 0, which places each band and, off
// the diagonal, its transpose into similarity.npy.
template <class Scalar>
class FullMode : public RingMode<Scalar> {
 public:
  explicit FullMode(const ModeContext& context) : context_(context) {}

  TileConsumer<Scalar>& start_step(int, const TileAssignment& assignment) override {
    consumers_.push_back(std::make_unique<DenseConsumer<Scalar>>(assignment));
    assignments_.push_back(assignment);
    return *consumers_.back();
  }
  void end_step(int, const TileAssignment&) override {}
  void finish() override {}

  // Each band: its encoded assignment, then its scores.
  std::string save() const override {
    std::string state;
    for (std::size_t b = 0; b < assignments_.size(); ++b) {
      state += as_chars(std::span<const std::int64_t>(encode(assignments_[b])));
      const auto& band = consumers_[b]->band();
      state += as_chars(std::span<const float>(band.data(), static_cast<std::size_t>(band.size())));
    }
    return state;
  }

  void restore(const std::string& state) override {
    for (std::size_t at = 0; at < state.size();) {
      std::vector<std::int64_t> encoded(7);
      if (at + 56 > state.size()) throw IoError("a full-mode checkpoint is truncated; refused");
      std::memcpy(encoded.data(), state.data() + at, 56);
      at += 56;
      const TileAssignment a = decode(encoded);
      check_band(a, context_.partition, "a full-mode checkpoint");
      auto consumer = std::make_unique<DenseConsumer<Scalar>>(a);
      auto& band = consumer->band();
      const std::size_t bytes = static_cast<std::size_t>(band.size()) * sizeof(float);
      if (at + bytes > state.size()) throw IoError("a full-mode checkpoint is truncated; refused");
      copy_bytes(band.data(), state.data() + at, bytes);
      at += bytes;
      consumers_.push_back(std::move(consumer));
      assignments_.push_back(a);
    }
  }

  StagedOutputs gather_and_write(const std::string& out_dir) override {
    Transport& transport = context_.transport;
    if (transport.rank() != 0) {
      std::int64_t count = static_cast<std::int64_t>(assignments_.size());
      transport.send(0, as_bytes_of(&count, 1), context_.timeout);
      for (std::size_t b = 0; b < assignments_.size(); ++b) {
        const auto header = encode(assignments_[b]);
        transport.send(0, bytes_of(header), context_.timeout);
        auto& band = consumers_[b]->band();
        transport.send(0, as_bytes_of(band.data(), static_cast<std::size_t>(band.size())), context_.timeout);
      }
      return {};
    }
    const std::int64_t n = context_.partition.rows();
    StagedOutputs staged;
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, "similarity.npy")));
    AtomicFile& file = *staged[0];
    const std::string header = make_npy_header("<f4", {n, n});
    file.append(header);
    const auto place = [&](const TileAssignment& a, const RowMatrix<float>& band) {
      const std::int64_t own0 = context_.partition.begin(a.own_block) + a.own_begin;
      const std::int64_t vis0 = context_.partition.begin(a.visiting_block) + a.visiting_begin;
      write_rows(file, header.size(), n, own0, vis0, band);
      if (!a.diagonal) write_rows(file, header.size(), n, vis0, own0, band.transpose());
    };
    for (std::size_t b = 0; b < assignments_.size(); ++b) place(assignments_[b], consumers_[b]->band());
    inject_fault_at("write-file", 0);
    for (int source = 1; source < transport.size(); ++source) {
      std::int64_t count = 0;
      transport.recv(source, as_writable_bytes_of(&count, 1), context_.timeout);
      const std::string from = "the bands rank " + std::to_string(source) + " sent";
      // A rank sends one band per ring step and per piece of a shared step
      // (at most one per row), some of them empty (a rank without rows).
      if (count < 0 || count > (std::int64_t{1} << 20) + 2 * n)
        throw IoError(from + ": " + std::to_string(count) + " bands; refused");
      for (std::int64_t b = 0; b < count; ++b) {
        std::vector<std::int64_t> encoded(7);
        transport.recv(source, writable_bytes_of(encoded), context_.timeout);
        const TileAssignment a = decode(encoded);
        check_band(a, context_.partition, from);
        RowMatrix<float> band(std::max<std::int64_t>(0, a.own_end - a.own_begin),
                              std::max<std::int64_t>(0, a.visiting_end - a.visiting_begin));
        transport.recv(source, as_writable_bytes_of(band.data(), static_cast<std::size_t>(band.size())),
                       context_.timeout);
        place(a, band);
      }
    }
    return staged;
  }

 private:
  static std::vector<std::int64_t> encode(const TileAssignment& a) {
    return {a.own_block, a.visiting_block, a.own_begin, a.own_end, a.visiting_begin, a.visiting_end, a.diagonal};
  }
  static TileAssignment decode(const std::vector<std::int64_t>& v) {
    TileAssignment a;
    a.own_block = static_cast<int>(v[0]);
    a.visiting_block = static_cast<int>(v[1]);
    a.own_begin = v[2];
    a.own_end = v[3];
    a.visiting_begin = v[4];
    a.visiting_end = v[5];
    a.diagonal = v[6] != 0;
    return a;
  }
  static void write_rows(AtomicFile& file, std::size_t header_bytes, std::int64_t n, std::int64_t row0,
                         std::int64_t col0, const RowMatrix<float>& rows) {
    for (Eigen::Index r = 0; r < rows.rows(); ++r)
      file.write_at(static_cast<std::int64_t>(header_bytes) + ((row0 + r) * n + col0) * 4,
                    as_bytes_of(rows.row(r).data(), static_cast<std::size_t>(rows.cols())));
  }

  ModeContext context_;
  std::vector<std::unique_ptr<DenseConsumer<Scalar>>> consumers_;
  std::vector<TileAssignment> assignments_;
};

}  // namespace

const std::vector<std::string>& result_file_names() {
  static const std::vector<std::string> names{"neighbors.npy",  "scores.npy", "neighbor_ids.npy", "pairs.csv",
                                              "similarity.npy", "ids.txt",    "ids.npy"};
  return names;
}

template <class Scalar>
std::unique_ptr<RingMode<Scalar>> make_ring_mode(const ModeOptions& options, const ModeContext& context) {
  switch (options.mode) {
    case Mode::topk:
      return std::make_unique<TopKMode<Scalar>>(options, context);
    case Mode::threshold:
      return std::make_unique<ThresholdMode<Scalar>>(options, context);
    case Mode::full:
      return std::make_unique<FullMode<Scalar>>(context);
  }
  throw InputError("unknown mode " + std::to_string(static_cast<int>(options.mode)));
}

template std::unique_ptr<RingMode<float>> make_ring_mode<float>(const ModeOptions&, const ModeContext&);
template std::unique_ptr<RingMode<double>> make_ring_mode<double>(const ModeOptions&, const ModeContext&);

}  // namespace ringsim

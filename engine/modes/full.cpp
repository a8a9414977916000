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

// Full mode: the dense n x n similarity matrix.
//
// Each rank keeps the dense bands it computed (about n^2 / (2P) entries, the
// output itself) and sends them to rank 0, which places each band and, off
// the diagonal, its transpose into similarity.npy.
template <class Scalar>
class FullHandler : public ResultHandler<Scalar> {
 public:
  explicit FullHandler(const ResultContext& context) : context_(context) {}

  TileConsumer<Scalar>& begin(int, const TileAssignment& assignment) override {
    consumers_.push_back(std::make_unique<DenseConsumer<Scalar>>(assignment));
    assignments_.push_back(assignment);
    return *consumers_.back();
  }
  // One band per assignment: a shared step's pieces would each need one.
  bool shares_rows() const override { return false; }

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

  void ship(RootLink& link) override {
    std::int64_t count = static_cast<std::int64_t>(assignments_.size());
    link.send_to_root(as_bytes_of(&count, 1));
    for (std::size_t b = 0; b < assignments_.size(); ++b) {
      const auto header = encode(assignments_[b]);
      link.send_to_root(bytes_of(header));
      auto& band = consumers_[b]->band();
      link.send_to_root(as_bytes_of(band.data(), static_cast<std::size_t>(band.size())));
    }
  }

  StagedOutputs write(RootLink& link, const std::string& out_dir) override {
    const std::int64_t n = context_.partition.rows();
    StagedOutputs staged;
    staged.push_back(std::make_unique<AtomicFile>(output_path(out_dir, result_files::kSimilarity)));
    AtomicFile& file = *staged[0];
    const std::string header = make_npy_header("<f4", {n, n});
    file.append(header);
    WriteProgress progress(context_.progress_seconds, static_cast<double>(n) * static_cast<double>(n));
    double written = 0;  // entries
    const auto place = [&](const TileAssignment& a, const RowMatrix<float>& band) {
      const std::int64_t own0 = context_.partition.begin(a.own_block) + a.own_begin;
      const std::int64_t vis0 = context_.partition.begin(a.visiting_block) + a.visiting_begin;
      write_rows(file, header.size(), n, own0, vis0, band);
      if (!a.diagonal) write_rows(file, header.size(), n, vis0, own0, band.transpose());
      written += static_cast<double>(band.size()) * (a.diagonal ? 1 : 2);
      progress.done(written, written * 4);
    };
    for (std::size_t b = 0; b < assignments_.size(); ++b) place(assignments_[b], consumers_[b]->band());
    inject_fault_at("write-file", 0);
    for (int source = 1; source < link.ranks(); ++source) receive_bands(link, source, place);
    return staged;
  }

 private:
  // Rank 0: the bands rank `source` ships, each checked, then handed to `place`.
  template <class Place>
  void receive_bands(RootLink& link, int source, const Place& place) {
    const std::int64_t n = context_.partition.rows();
    std::int64_t count = 0;
    link.receive_from(source, as_writable_bytes_of(&count, 1));
    const std::string from = "the bands rank " + std::to_string(source) + " sent";
    // A rank sends one band per ring step and per piece of a shared step
    // (at most one per row), some of them empty (a rank without rows).
    if (count < 0 || count > (std::int64_t{1} << 20) + 2 * n)
      throw IoError(from + ": " + std::to_string(count) + " bands; refused");
    for (std::int64_t b = 0; b < count; ++b) {
      std::vector<std::int64_t> encoded(7);
      link.receive_from(source, writable_bytes_of(encoded));
      const TileAssignment a = decode(encoded);
      check_band(a, context_.partition, from);
      RowMatrix<float> band(std::max<std::int64_t>(0, a.own_end - a.own_begin),
                            std::max<std::int64_t>(0, a.visiting_end - a.visiting_begin));
      link.receive_from(source, as_writable_bytes_of(band.data(), static_cast<std::size_t>(band.size())));
      place(a, band);
    }
  }

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

  ResultContext context_;
  std::vector<std::unique_ptr<DenseConsumer<Scalar>>> consumers_;
  std::vector<TileAssignment> assignments_;
};

}  // namespace

template <class Scalar>
HandlerPtr<Scalar> make_full_handler(const ModeOptions&, const ResultContext& context) {
  return std::make_unique<FullHandler<Scalar>>(context);
}
template HandlerPtr<float> make_full_handler(const ModeOptions&, const ResultContext&);
template HandlerPtr<double> make_full_handler(const ModeOptions&, const ResultContext&);

}  // namespace ringsim

#include "engine/checkpoint/received_state.hpp"

namespace ringsim {

void check_band(const TileAssignment& band, const RowPartition& partition, const std::string& source) {
  const auto inside = [&](int block, std::int64_t begin, std::int64_t end) {
    return block >= 0 && block < partition.blocks() && begin >= 0 && begin <= end && end <= partition.size(block);
  };
  if (!inside(band.own_block, band.own_begin, band.own_end) ||
      !inside(band.visiting_block, band.visiting_begin, band.visiting_end) ||
      (band.diagonal && band.own_block != band.visiting_block))
    throw IoError(source + ": a band outside the matrix (blocks " + std::to_string(band.own_block) + " x " +
                  std::to_string(band.visiting_block) + ", rows [" + std::to_string(band.own_begin) + ", " +
                  std::to_string(band.own_end) + ") x [" + std::to_string(band.visiting_begin) + ", " +
                  std::to_string(band.visiting_end) + ")); refused");
}

}  // namespace ringsim

// A checkpoint file as someone who can write the checkpoint folder makes it:
// the store lists it, loads it and follows its increment chain, and what it
// loads goes through the checks every restored list, pair and band passes
// (received_state.hpp). Refusals (InputError, IoError) are answers; anything
// else, a crash, or a load that hands back bytes the file's own checksum or
// HMAC does not cover, is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/received_state.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

std::string scratch_dir() {
  static const std::string dir = [] {
    const auto path = std::filesystem::temp_directory_path() / ("ringsim-fuzz-ckpt-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path.string();
  }();
  return dir;
}

struct Pair {  // as ScoredPair<double>
  std::int64_t i, j;
  double score;
};

template <class T>
std::span<const T> view(const std::string& bytes) {
  return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ringsim;
  // First byte: keyed or not and the step the file is named for; the rest is the file.
  if (size < 1) return 0;
  const bool keyed = data[0] & 1;
  const int step = (data[0] >> 1) % 4;
  const std::string dir = scratch_dir();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) std::filesystem::remove(entry.path());
  {
    std::ofstream out(dir + "/rank-0.step-" + std::to_string(step) + ".ckpt", std::ios::binary);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  std::uint64_t fingerprint = 0;
  if (size >= 17) std::memcpy(&fingerprint, data + 9, 8);  // the file's own, so that it gets past the job check
  try {
    const CheckpointStore store(dir, 0, fingerprint, keyed ? "fuzz key" : "");
    for (const int saved : store.saved_steps()) {
      if (saved != step) fuzz::violated("a step the file is not named for");
      const std::string payload = store.load(saved);
      if (payload.size() + 32 + (keyed ? 32 : 8) != size - 1) fuzz::violated("a payload of another length");
      try {
        (void)load_increments(store, saved);
      } catch (const InputError&) {
      } catch (const IoError&) {
      }
      const RowPartition partition = RowPartition::from_sizes({5, 3});
      const std::size_t slots = payload.size() / 12;  // float32 scores, then int64 ids
      try {
        check_topk_lists<float>(view<std::int64_t>(payload.substr(4 * slots, 8 * slots)),
                                view<float>(payload.substr(0, 4 * slots)), 8, "fuzz");
      } catch (const IoError&) {
      }
      try {
        check_pairs<Pair>(view<Pair>(payload), 8, 0.5, nullptr, true, "fuzz");
      } catch (const IoError&) {
      }
      for (std::size_t at = 0; at + 56 <= payload.size(); at += 56) {
        std::int64_t v[7];
        std::memcpy(v, payload.data() + at, 56);
        const TileAssignment band{static_cast<int>(v[0]), static_cast<int>(v[1]), v[2], v[3], v[4], v[5], v[6] != 0};
        try {
          check_band(band, partition, "fuzz");
          if (band.own_end > partition.size(band.own_block) || band.visiting_end > partition.size(band.visiting_block))
            fuzz::violated("a band outside its blocks passed");
        } catch (const IoError&) {
        }
      }
    }
  } catch (const InputError&) {
  } catch (const IoError&) {
  }
  return 0;
}

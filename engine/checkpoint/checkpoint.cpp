#include "engine/checkpoint/checkpoint.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {
constexpr char kMagic[8] = {'R', 'S', 'C', 'K', 'P', 'T', '1', '\n'};
// magic, fingerprint, step, payload bytes; then payload; then its FNV-1a.
constexpr std::size_t kHeaderBytes = 8 + 8 + 8 + 8;

std::string sha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw IoError("SHA-256 failed");
  return std::string(reinterpret_cast<char*>(digest), length);
}
}  // namespace

std::string read_checkpoint_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("--checkpoint-key-file " + path + ": cannot read it");
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.empty()) throw InputError("--checkpoint-key-file " + path + ": empty");
  return bytes;
}

Fingerprint& Fingerprint::add(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    hash_ ^= p[i];
    hash_ *= 0x100000001b3ull;
  }
  return *this;
}

Fingerprint& Fingerprint::add(const std::string& text) {
  const std::uint64_t size = text.size();
  add(&size, sizeof size);
  return add(text.data(), text.size());
}

CheckpointStore::CheckpointStore(std::string dir, int rank, std::uint64_t fingerprint, std::string key)
    : dir_(std::move(dir)), rank_(rank), fingerprint_(fingerprint) {
  // A key of its own for checkpoints, whatever else the secret serves.
  if (!key.empty()) mac_key_ = sha256("ringsim checkpoint HMAC key v1\n" + key);
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) throw IoError("--checkpoint-dir " + dir_ + " cannot be created: " + error.message());
}

std::string CheckpointStore::path(int step) const {
  return (fs::path(dir_) / fmt::format("rank-{}.step-{}.ckpt", rank_, step)).string();
}

std::vector<int> CheckpointStore::saved_steps() const {
  std::vector<int> steps;
  const std::regex name(fmt::format("rank-{}\\.step-([0-9]+)\\.ckpt", rank_));
  for (const auto& entry : fs::directory_iterator(dir_)) {
    std::smatch match;
    const std::string file = entry.path().filename().string();
    if (!std::regex_match(file, match, name)) continue;
    // The step in the name, within what a job writes (0 .. INT_MAX): a name
    // of 20 digits is not this job's file, and no step is cut to an int.
    int named_step = -1;
    const std::string digits = match[1].str();
    if (const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), named_step);
        parsed.ec != std::errc() || parsed.ptr != digits.data() + digits.size()) {
      log::warning("checkpoint " + entry.path().string() + ": its step is not a number from 0 to " +
                   std::to_string(std::numeric_limits<int>::max()) + "; not used");
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    char header[kHeaderBytes];
    if (!in.read(header, kHeaderBytes) || std::memcmp(header, kMagic, 8) != 0) {  // torn: not saved
      log::warning("checkpoint " + entry.path().string() + " has no complete header; not used");
      continue;
    }
    std::uint64_t fingerprint = 0, bytes = 0;
    std::int64_t step = 0;
    std::memcpy(&fingerprint, header + 8, 8);
    std::memcpy(&step, header + 16, 8);
    std::memcpy(&bytes, header + 24, 8);
    if (fingerprint != fingerprint_)
      throw InputError(
          fmt::format("checkpoint {} was made by another job (its input rows or options differ from "
                      "this run's); remove it, or give this job another --checkpoint-dir",
                      entry.path().string()));
    if (step != named_step) {
      log::warning("checkpoint " + entry.path().string() + " holds step " + std::to_string(step) + "; not used");
      continue;
    }
    if (entry.file_size() != kHeaderBytes + bytes + trailer_bytes()) {  // truncated copy, or keyed otherwise
      log::warning(fmt::format("checkpoint {} is {} bytes, not {} ({}); not used", entry.path().string(),
                               entry.file_size(), kHeaderBytes + bytes + trailer_bytes(),
                               mac_key_.empty() ? "this run has no checkpoint key" : "this run keys checkpoints"));
      continue;
    }
    steps.push_back(static_cast<int>(step));
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::string CheckpointStore::trailer(const std::string& header, const std::string& payload) const {
  if (mac_key_.empty()) {
    const std::uint64_t checksum = Fingerprint().add(payload.data(), payload.size()).value();
    return std::string(reinterpret_cast<const char*>(&checksum), 8);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string signed_bytes = header + payload;
  if (!HMAC(EVP_sha256(), mac_key_.data(), static_cast<int>(mac_key_.size()),
            reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size(), mac, &length))
    throw IoError("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<char*>(mac), length);
}

std::string CheckpointStore::load(int step) const {
  std::ifstream in(path(step), std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  if (all.size() < kHeaderBytes + trailer_bytes()) throw IoError("checkpoint " + path(step) + " is truncated");
  const std::string header = all.substr(0, kHeaderBytes);
  std::string payload = all.substr(kHeaderBytes, all.size() - kHeaderBytes - trailer_bytes());
  const std::string stored = all.substr(all.size() - trailer_bytes());
  const std::string expected = trailer(header, payload);
  if (mac_key_.empty()) {
    if (stored != expected)
      throw IoError("checkpoint " + path(step) + " is corrupt (checksum mismatch); remove it to start afresh");
  } else if (CRYPTO_memcmp(stored.data(), expected.data(), expected.size()) != 0) {
    throw IoError("checkpoint " + path(step) +
                  " fails its HMAC: it was changed, or made under another job key; refused (remove it to start "
                  "afresh)");
  }
  return payload;
}

void CheckpointStore::save(int step, const std::string& state) {
  AtomicFile file(path(step));
  std::string header(kMagic, 8);
  const std::int64_t step64 = step;
  const std::uint64_t bytes = state.size();
  header.append(reinterpret_cast<const char*>(&fingerprint_), 8);
  header.append(reinterpret_cast<const char*>(&step64), 8);
  header.append(reinterpret_cast<const char*>(&bytes), 8);
  file.append(header);
  file.append(state);
  file.append(trailer(header, state));
  file.commit();
}

void save_increment(CheckpointStore& store, int step, int previous_step, const std::string& increment) {
  const std::int64_t link = previous_step;
  store.save(step, std::string(reinterpret_cast<const char*>(&link), sizeof link) + increment);
}

std::string load_increments(const CheckpointStore& store, int newest_step) {
  std::vector<std::string> pieces;
  for (std::int64_t step = newest_step; step >= 0;) {
    const auto saved = store.saved_steps();
    if (std::find(saved.begin(), saved.end(), static_cast<int>(step)) == saved.end())
      throw InputError(
          fmt::format("checkpoint of step {} in {} is missing: the saves after it build on it; remove "
                      "the folder's files to start afresh",
                      step, store.dir()));
    std::string payload = store.load(static_cast<int>(step));
    std::int64_t previous = 0;
    if (payload.size() < sizeof previous) throw IoError(fmt::format("checkpoint of step {} is truncated", step));
    std::memcpy(&previous, payload.data(), sizeof previous);
    if (previous >= step) throw IoError(fmt::format("checkpoint of step {} links forward to step {}", step, previous));
    pieces.push_back(payload.substr(sizeof previous));
    step = previous;
  }
  std::string state;
  for (auto piece = pieces.rbegin(); piece != pieces.rend(); ++piece) state += *piece;
  return state;
}

void CheckpointStore::keep_only(int step) {
  for (const int saved : saved_steps())
    if (saved != step) fs::remove(path(saved));
}

}  // namespace ringsim

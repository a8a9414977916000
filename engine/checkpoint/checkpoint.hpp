#pragma once
// Checkpoints for managed spot training (and any rerun after a kill): after
// ring steps, every rank saves its partial results; a rerun with the same
// input and options resumes after the last step that every rank saved.
//
// One file per rank and step, DIR/rank-R.step-S.ckpt, written atomically and
// checked on reading (length, and a checksum, or with a job key an
// HMAC-SHA256 over header and payload that whoever can write the folder but
// not read the key cannot forge): on SageMaker each host writes its
// ranks' files into /opt/ml/checkpoints, which is synced with one S3 prefix
// and comes back to every host on restart. A file is tied to its job by a
// fingerprint of the rank's input rows and every option that changes
// results; a file from another job is refused by name, never mixed in.
//
// Steps are saved in lockstep (the ranks agree each one is on disk before
// older ones are removed), so every rank always holds the newest step all
// ranks saved, and at most one newer.
#include <cstdint>
#include <string>
#include <vector>

namespace ringsim {

class CheckpointStore {
 public:
  // `key`: empty, or the job's secret bytes (--checkpoint-key-file), from
  // which the files' HMAC key is derived.
  CheckpointStore(std::string dir, int rank, std::uint64_t fingerprint, std::string key = {});

  // Steps this rank holds a complete file of, oldest first. Throws
  // InputError naming a file made by another job (input or options differ).
  std::vector<int> saved_steps() const;
  // Throws IoError naming the file when it is truncated, corrupt, or (with
  // a key) fails its HMAC: forged, or made under another key.
  std::string load(int step) const;
  void save(int step, const std::string& state);
  // Removes this rank's files of every step but `step` (-1: all).
  void keep_only(int step);
  const std::string& dir() const { return dir_; }

 private:
  std::string path(int step) const;
  std::size_t trailer_bytes() const { return mac_key_.empty() ? 8 : 32; }
  std::string trailer(const std::string& header, const std::string& payload) const;
  std::string dir_;
  int rank_;
  std::uint64_t fingerprint_;
  std::string mac_key_;  // empty: an FNV-1a checksum (no authentication)
};

// The job key's bytes from --checkpoint-key-file (any secret file every host
// has, e.g. the leader's key in the job's certificate channel); throws
// InputError naming the file when it cannot be read or is empty.
std::string read_checkpoint_key(const std::string& path);

// Incremental saves, for a mode whose state only grows (threshold mode's
// pairs): each file holds what is new since the previous save and starts
// with that save's step (-1: none), so a resume rebuilds the whole state
// from the chain, oldest first, and a missing link is an error, never a
// silently smaller result. Older files are kept until the job ends.
void save_increment(CheckpointStore& store, int step, int previous_step, const std::string& increment);
std::string load_increments(const CheckpointStore& store, int newest_step);

// 64-bit FNV-1a, the fingerprint's hash (not a security measure: it tells
// jobs apart, it does not authenticate files).
class Fingerprint {
 public:
  Fingerprint& add(const void* data, std::size_t bytes);
  Fingerprint& add(const std::string& text);
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ull;
};

}  // namespace ringsim

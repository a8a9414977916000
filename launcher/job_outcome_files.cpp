#include "launcher/job_outcome_files.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <regex>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/no_follow_file.hpp"
#include "launcher/sagemaker_config.hpp"

namespace ringsim {

namespace fs = std::filesystem;

// Puts the job's first failure at the head of output/failure (SageMaker
// shows its first 1024 bytes), keeping what this host's ranks wrote after it:
// a worker whose ranks were stopped because another rank died must say which
// rank died, not only "stopped by signal 15".
void record_job_failure(const std::string& path, const std::string& reason) {
  // Never through a link planted at the file or its temporary's name
  // (common/no_follow_file.hpp): one at `path` is replaced, not read.
  std::string existing;
  try {
    existing = read_file_no_follow(path, 64 * 1024).value_or("");
  } catch (const Error& e) {
    log::warning(std::string(e.what()) + "; the failure file is written anew");
  }
  if (existing.rfind(reason, 0) == 0) return;
  const std::string text = (existing.empty() ? reason : reason + " | on this host: " + existing).substr(0, 1024);
  try {
    replace_file_no_follow(path, text, 0644);
  } catch (const Error& e) {
    log::warning(std::string(e.what()) + "; the failure went to the log only");
  }
}

// After a job succeeded: every checkpoint file of it on this host. SageMaker
// restores every host's files to every host (and syncs the folder with
// checkpoint_s3_uri), so each host holds other ranks' files too; left there
// they would be refused by the next job in the same checkpoint_s3_uri as
// "made by another job". The ranks have already removed their own.
void remove_job_checkpoints(const std::string& ml_root) {
  static const std::regex name(R"(rank-[0-9]+\.step-[0-9]+\.ckpt(\..*)?)");
  std::error_code error;
  int removed = 0;
  for (const auto& entry : fs::directory_iterator(checkpoint_dir(ml_root), error))
    if (std::regex_match(entry.path().filename().string(), name) && fs::remove(entry.path(), error)) ++removed;
  if (removed > 0)
    log::info(
        fmt::format("removed {} checkpoint file(s) of the finished job from {}", removed, checkpoint_dir(ml_root)));
}

// A checkpoint refused as another job's: what a SageMaker user can do about it
// (ringsim run's own advice, another --checkpoint-dir, is not theirs to give).
std::string with_checkpoint_advice(const std::string& reason) {
  if (reason.find("was made by another job") == std::string::npos) return reason;
  return reason +
         " [on SageMaker: /opt/ml/checkpoints is restored from the estimator's checkpoint_s3_uri; delete the "
         "rank-*.ckpt objects under that S3 prefix, or give the job a checkpoint_s3_uri of its own]";
}

}  // namespace ringsim

#pragma once
// What a launcher leaves on its host when the job ends: the failure file
// SageMaker shows (output/failure), and no checkpoint of a finished job.
#include <string>

namespace ringsim {

// Puts the job's first failure at the head of output/failure (SageMaker
// shows its first 1024 bytes), keeping what this host's ranks wrote after it:
// a worker whose ranks were stopped because another rank died must say which
// rank died, not only "stopped by signal 15".
void record_job_failure(const std::string& path, const std::string& reason);

// After a job succeeded: every checkpoint file of it on this host. SageMaker
// restores every host's files to every host (and syncs the folder with
// checkpoint_s3_uri), so each host holds other ranks' files too; left there
// they would be refused by the next job in the same checkpoint_s3_uri as
// "made by another job". The ranks have already removed their own.
void remove_job_checkpoints(const std::string& ml_root);

// A checkpoint refused as another job's: what a SageMaker user can do about it
// (ringsim run's own advice, another --checkpoint-dir, is not theirs to give).
std::string with_checkpoint_advice(const std::string& reason);

}  // namespace ringsim

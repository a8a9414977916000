#pragma once
// What made a result folder, for report.json: the ringsim build, the command
// line and the options as parsed, when the job ran (UTC), and each input
// file as it was read (path, bytes, modification time; its SHA-256 with
// --hash-inputs). A result found a year later says what produced it.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ringsim {

struct RunOptions;

// This rank's input files: --input (each file of a folder), --queries,
// --ids and --query-ids, each {"role", "host", "path", "bytes",
// "modified_utc"} plus "sha256" with --hash-inputs.
nlohmann::json describe_inputs_here(const RunOptions& options);

// report.json's "provenance" object; `inputs`: every rank's
// describe_inputs_here(), one entry per host and path.
nlohmann::json job_provenance(const RunOptions& options, const nlohmann::json& inputs,
                              const std::vector<std::string>& hosts);

// "2026-12-07T13:49:10.123Z".
std::string utc_text(std::chrono::system_clock::time_point when);

}  // namespace ringsim

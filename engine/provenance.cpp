#include "engine/provenance.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/build_info.hpp"
#include "common/errors.hpp"
#include "common/hex.hpp"
#include "common/host.hpp"
#include "engine/run_options.hpp"

namespace ringsim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Set before main(): the job's start as the process's start, which is what
// a user waited for.
const auto process_start = std::chrono::system_clock::now();

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot read it to hash (--hash-inputs)");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
    throw IoError("SHA-256 is not available (OpenSSL)");
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  return to_hex(std::span<const unsigned char>(digest, length));
}

std::chrono::system_clock::time_point modified(const fs::path& path) {
  // file_clock to system_clock: C++20's clock_cast is missing from GCC 12.
  const auto file_time = fs::last_write_time(path);
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      file_time - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
}

json describe_file(const std::string& role, const fs::path& path, bool hash) {
  std::error_code ignored;
  const fs::path absolute = fs::absolute(path, ignored).lexically_normal();
  json file = {{"role", role},
               {"host", identity_host()},
               {"path", absolute.string()},
               {"bytes", fs::file_size(path)},
               {"modified_utc", utc_text(modified(path))}};
  if (hash) file["sha256"] = file_sha256(path.string());
  return file;
}

// A file, or a folder's files in name order (the folder's matrix parts).
void describe_path(const std::string& role, const std::string& path, bool hash, json& out) {
  std::error_code error;
  if (path.empty() || !fs::exists(path, error)) return;
  if (!fs::is_directory(path, error)) {
    out.push_back(describe_file(role, path, hash));
    return;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path, error))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) out.push_back(describe_file(role, file, hash));
}

}  // namespace

std::string utc_text(std::chrono::system_clock::time_point when) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03d}Z", text, static_cast<int>(millis % 1000));
}

json describe_inputs_here(const RunOptions& options) {
  json files = json::array();
  describe_path("input", options.input, options.hash_inputs, files);
  describe_path("queries", options.queries, options.hash_inputs, files);
  describe_path("ids", options.ids, options.hash_inputs, files);
  describe_path("query_ids", options.query_ids, options.hash_inputs, files);
  return files;
}

json job_provenance(const RunOptions& options, const json& inputs, const std::vector<std::string>& hosts) {
  json parsed = json::object();
  visit_job_options(static_cast<const JobConfig&>(options),
                    [&](const OptionInfo& info, const auto& field) { parsed[flag_of(info)] = option_text(field); });
  return json{{"ringsim_version", ringsim_release()},
              {"source_revision", ringsim_revision().empty() ? json(nullptr) : json(ringsim_revision())},
              {"command_line", options.command_line},
              {"options", parsed},
              {"started_utc", utc_text(process_start)},
              {"finished_utc", utc_text(std::chrono::system_clock::now())},
              {"hosts", hosts},
              {"inputs", inputs}};
}

}  // namespace ringsim

#include "launcher/failure_report.hpp"

#include <regex>

namespace ringsim {

namespace {

std::string strip_tag(const std::string& line, std::string& rank) {
  // --tag-output prefixes each rank's line with "[jobid,rank]<stderr>:".
  static const std::regex tag(R"(^\[\d+,(\d+)\]<std(?:err|out)>:?)");
  std::smatch m;
  if (std::regex_search(line, m, tag)) {
    rank = m[1].str();
    return m.suffix().str();
  }
  return line;
}

}  // namespace

void FailureReport::add_line(const std::string& raw) {
  std::string rank;
  const std::string line = strip_tag(raw, rank);
  std::smatch m;
  static const std::regex signal_line(
      R"(mpirun noticed that process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+)(?: \(([^)]*)\))?)");
  if (killed_.empty() && std::regex_search(line, m, signal_line)) {
    killed_ = "rank " + m[1].str() + " (host " + m[2].str() + ") was killed by signal " + m[3].str() +
              (m[4].matched ? " (" + m[4].str() + ")" : "");
    return;
  }
  if (line.find("ORTE has lost communication with a remote daemon") != std::string::npos) {
    in_lost_daemon_block_ = true;
    return;
  }
  static const std::regex remote_daemon(R"(Remote daemon:\s*\S+ on node (\S+))");
  if (in_lost_daemon_block_ && std::regex_search(line, m, remote_daemon)) {
    in_lost_daemon_block_ = false;
    if (lost_daemon_.empty())
      lost_daemon_ = "mpirun lost contact with host " + m[1].str() +
                     " (its daemon there stopped answering: host down or network link lost)";
    return;
  }
  static const std::regex error_line(R"(ringsim: error: (.*))");
  if (first_error_.empty() && std::regex_search(line, m, error_line)) {
    const std::string message = m[1].str();
    if (message.rfind("rank ", 0) == 0 || rank.empty()) {
      first_error_ = message;
    } else {
      const std::size_t r = std::stoul(rank);
      first_error_ =
          "rank " + rank + (r < host_of_rank_.size() ? " (host " + host_of_rank_[r] + ")" : "") + ": " + message;
    }
    return;
  }
  static const std::regex ssh_line(R"(^ssh: (?:connect to host )?(\S+?)[: ].*)");
  if (ssh_error_.empty() && std::regex_search(line, m, ssh_line)) {
    ssh_error_ = "mpirun could not reach host " + m[1].str() + " over ssh: " + line;
  }
}

std::string FailureReport::summary() const {
  std::string cause = !killed_.empty()        ? killed_
                      : !lost_daemon_.empty() ? lost_daemon_
                      : !first_error_.empty() ? first_error_
                                              : ssh_error_;
  if (!first_error_.empty() && cause != first_error_) cause += "; first error reported: " + first_error_;
  return cause;
}

}  // namespace ringsim

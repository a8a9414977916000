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
  if (std::regex_search(line, m, signal_line)) {
    // SIGPIPE, SIGTERM, SIGHUP, SIGINT end a rank as an echo of another
    // failure (writing to a peer that died, mpirun's teardown); SIGKILL,
    // SIGSEGV and the like are a cause.
    const int signal = std::stoi(m[3].str().substr(0, 3));
    const bool echo = signal == 13 || signal == 15 || signal == 1 || signal == 2;
    std::string& slot = echo ? echo_killed_ : killed_;
    if (slot.empty())
      slot = name_rank(m[1].str(), m[2].str()) + " was killed by signal " + m[3].str() +
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
  if (std::regex_search(line, m, error_line)) {
    std::string message = m[1].str();
    static const std::regex rank_prefix(R"(^rank (\d+)(?:\s*\(host ([^)]*)\))?:?\s*)");
    std::smatch p;
    std::string host;
    if (std::regex_search(message, p, rank_prefix)) {
      rank = p[1].str();
      host = p[2].str();
      message = p.suffix().str();
    }
    const std::string named = rank.empty() ? message : name_rank(rank, host) + ": " + message;
    // "stopped by signal 15" (after the phase: "in phase ring: stopped by
    // signal 15 (SIGTERM)") is mpirun tearing the job down: an echo of the
    // failure, kept only when nothing better is known.
    std::string& slot = message.find("stopped by signal") != std::string::npos ? first_stop_ : first_error_;
    if (slot.empty()) slot = named;
    return;
  }
  // ssh names the host in different places: "ssh: connect to host algo-2
  // port 22: Connection refused", "ssh: Could not resolve hostname algo-2:
  // Name or service not known"; other complaints name none.
  static const std::regex ssh_host(R"(^ssh: (?:connect to host (\S+) port|Could not resolve hostname ([^:\s]+):))");
  if (ssh_error_.empty() && line.rfind("ssh: ", 0) == 0) {
    const std::string host = std::regex_search(line, m, ssh_host) ? (m[1].matched ? m[1].str() : m[2].str()) : "";
    ssh_error_ = (host.empty() ? std::string("mpirun could not reach a host") : "mpirun could not reach host " + host) +
                 " over ssh: " + line;
  }
}

std::string FailureReport::name_rank(const std::string& rank, const std::string& node) const {
  // The launcher's rank map knows where each rank runs (also in a local
  // simulation, where mpirun's node is this machine for every host).
  std::size_t r = host_of_rank_.size();
  try {
    r = std::stoul(rank);
  } catch (const std::exception&) {
    // Not a rank of ours (too long a number): keep the line's own host.
  }
  const std::string host = r < host_of_rank_.size() ? host_of_rank_[r] : node;
  return "rank " + rank + (host.empty() ? "" : " (host " + host + ")");
}

std::string FailureReport::summary() const {
  std::string cause = !killed_.empty()        ? killed_
                      : !lost_daemon_.empty() ? lost_daemon_
                      : !first_error_.empty() ? first_error_
                      : !ssh_error_.empty()   ? ssh_error_
                      : !echo_killed_.empty() ? echo_killed_
                                              : first_stop_;
  if (!first_error_.empty() && cause != first_error_) cause += "; first error reported: " + first_error_;
  return cause;
}

}  // namespace ringsim

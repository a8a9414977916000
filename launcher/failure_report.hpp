#pragma once
// Reads the job's log lines as mpirun passes them through (the launcher tees
// mpirun's stderr) and names the first failure of the job: which rank, on
// which host, and why. Pure: tested with recorded lines, no processes.
//
// What it recognises, most telling first:
//   "mpirun noticed that process rank 1 with PID 77 on node algo-2 exited on
//    signal 9 (Killed)."                      -> rank 1 (host algo-2) was killed by signal 9 (Killed)
//   "ORTE has lost communication with a remote daemon. ... Remote daemon: [[..],1] on node algo-3"
//                                               -> mpirun lost contact with host algo-3 ...
//   "[1,2]<stderr>:ringsim: error: rank 2 (host algo-2) ..." -> that line's message, the first one seen
//   "ssh: connect to host algo-2 port 22: ..." -> mpirun could not reach host algo-2 over ssh: ...
// A rank killed by SIGKILL, SIGSEGV ... is the cause and the other ranks'
// errors its echo, so such a signal outranks an error line even when it is
// printed later. SIGPIPE and SIGTERM are echoes themselves (a write to a
// peer that died, mpirun's teardown) and rank below a lost host or an error.
#include <string>
#include <vector>

namespace ringsim {

class FailureReport {
 public:
  // host_of_rank[r]: where rank r runs, to name the host when an error line
  // gives only the rank.
  explicit FailureReport(std::vector<std::string> host_of_rank = {}) : host_of_rank_(std::move(host_of_rank)) {}
  void add_line(const std::string& line);
  // One line for output/failure and the workers, or "" when nothing failed
  // that the log showed.
  std::string summary() const;
  // Whether the log has shown a failure yet.
  bool failed() const { return !summary().empty(); }

 private:
  std::string name_rank(const std::string& rank, const std::string& node) const;
  std::string killed_;       // the first "exited on signal" line of a killing signal, rewritten
  std::string echo_killed_;  // the first of a signal that echoes another failure (SIGPIPE, SIGTERM)
  std::string lost_daemon_;  // the first host mpirun lost contact with
  std::string first_error_;  // the first ringsim error line
  std::string ssh_error_;    // the first ssh complaint
  std::string first_stop_;   // the first "stopped by signal" line (mpirun's teardown)
  bool in_lost_daemon_block_ = false;
  std::vector<std::string> host_of_rank_;
};

}  // namespace ringsim

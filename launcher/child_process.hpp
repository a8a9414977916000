#pragma once
#include <string>
#include <vector>

namespace ringsim {

// Runs argv[0] (searched in PATH) and returns its exit code (128 + signal if
// it was killed). While it runs, SIGTERM and SIGINT sent to us are passed on
// to it, so StopTrainingJob reaches mpirun and, through it, every rank.
int run_child(const std::vector<std::string>& argv);

// Starts a program in the background, returning at once (e.g. sshd).
void start_daemon(const std::vector<std::string>& argv);

// The path of the running ringsim binary.
std::string self_executable();

}  // namespace ringsim

// Naming a failed job's cause from mpirun's output (launcher/failure_report).
#include <gtest/gtest.h>

#include "launcher/failure_report.hpp"

using namespace ringsim;

TEST(FailureReport, NamesTheFirstRankThatFailed) {
  FailureReport report;
  EXPECT_EQ(report.summary(), "");
  // Echoes of the death arrive first; mpirun's own line names the cause.
  report.add_line("[1,0]<stderr>:ringsim: error: rank 0 (host algo-1) ring step 2: lost rank 2 (connection reset)");
  report.add_line("[1,4]<stderr>:ringsim: error: rank 4 (host algo-3) stopped by signal 15");
  report.add_line("--------------------------------------------------------------------------");
  report.add_line("mpirun noticed that process rank 2 with PID 4242 on node algo-2 exited on signal 9 (Killed).");
  report.add_line("mpirun noticed that process rank 3 with PID 4243 on node algo-2 exited on signal 15 (Terminated).");
  EXPECT_EQ(report.summary(),
            "rank 2 (host algo-2) was killed by signal 9 (Killed); first error reported: rank 0 (host algo-1): ring "
            "step 2: lost rank 2 (connection reset)");
  // In a local simulation mpirun's node is this machine: the rank map names the host.
  FailureReport local({"algo-1", "algo-1", "algo-2"});
  local.add_line("[1,1]<stderr>:ringsim: error: rank 1: stopped by signal 15 (SIGTERM)");
  EXPECT_EQ(local.summary(), "rank 1 (host algo-1): stopped by signal 15 (SIGTERM)");
  local.add_line("mpirun noticed that process rank 2 with PID 7 on node vm exited on signal 9 (Killed).");
  EXPECT_EQ(local.summary(), "rank 2 (host algo-2) was killed by signal 9 (Killed)");
}

TEST(FailureReport, ErrorLinesLostDaemonsAndSsh) {
  FailureReport errors({"algo-1", "algo-1", "algo-2", "algo-2"});
  errors.add_line("[1,3]<stderr>:ringsim: error: NaN at row 300 of part-001.npy");
  errors.add_line("[1,1]<stderr>:ringsim: error: rank 1 (host algo-1) stopped by signal 15");
  EXPECT_EQ(errors.summary(), "rank 3 (host algo-2): NaN at row 300 of part-001.npy");

  FailureReport lost;
  lost.add_line("ORTE has lost communication with a remote daemon.");
  lost.add_line("  HNP daemon   : [[4711,0],0] on node algo-1");
  lost.add_line("  Remote daemon: [[4711,0],2] on node algo-3");
  EXPECT_EQ(lost.summary().rfind("mpirun lost contact with host algo-3", 0), 0u) << lost.summary();

  // A rank dying of SIGPIPE because the lost host's socket broke is an echo.
  FailureReport echo({"algo-1", "algo-1", "algo-2", "algo-2", "algo-3", "algo-3"});
  echo.add_line("mpirun noticed that process rank 3 with PID 5 on node algo-2 exited on signal 13 (Broken pipe).");
  EXPECT_EQ(echo.summary(), "rank 3 (host algo-2) was killed by signal 13 (Broken pipe)");
  echo.add_line("ORTE has lost communication with a remote daemon.");
  echo.add_line("  Remote daemon: [[4711,0],2] on node algo-3");
  EXPECT_EQ(echo.summary().rfind("mpirun lost contact with host algo-3", 0), 0u) << echo.summary();

  FailureReport ssh;
  ssh.add_line("ssh: connect to host algo-2 port 22: Connection timed out");
  EXPECT_EQ(ssh.summary(),
            "mpirun could not reach host algo-2 over ssh: ssh: connect to host algo-2 port 22: "
            "Connection timed out");
}

// Issue 21: "ssh: Could not resolve hostname algo-1: ..." was reported as
// "mpirun could not reach host Could over ssh".
TEST(FailureReport, SshNamesTheHostWhereverSshPutsIt) {
  FailureReport unresolved;
  unresolved.add_line("ssh: Could not resolve hostname algo-1: Name or service not known");
  EXPECT_EQ(unresolved.summary(),
            "mpirun could not reach host algo-1 over ssh: ssh: Could not resolve hostname algo-1: Name or service "
            "not known");
  FailureReport unnamed;
  unnamed.add_line("ssh: Permission denied (publickey).");
  EXPECT_EQ(unnamed.summary(), "mpirun could not reach a host over ssh: ssh: Permission denied (publickey).");
}

// Issue 21: a rank's "in phase ring: stopped by signal 15" (mpirun tearing the
// job down) was kept as the first error ahead of the real one.
TEST(FailureReport, StopEchoesAfterThePhaseAreNotTheCause) {
  FailureReport report({"algo-1", "algo-1", "algo-2", "algo-2"});
  report.add_line(
      "[1,0]<stderr>:ringsim: error: rank 0 (host algo-1) in phase ring: stopped by signal 15 (SIGTERM); "
      "no output was written");
  report.add_line("[1,3]<stderr>:ringsim: error: rank 3 (host algo-2) in phase load: NaN at row 7 of X.npy");
  EXPECT_EQ(report.summary(), "rank 3 (host algo-2): in phase load: NaN at row 7 of X.npy");
  FailureReport only_stops({"algo-1"});
  only_stops.add_line(
      "[1,0]<stderr>:ringsim: error: rank 0 (host algo-1) in phase ring: stopped by signal 15 (SIGTERM)");
  EXPECT_EQ(only_stops.summary(), "rank 0 (host algo-1): in phase ring: stopped by signal 15 (SIGTERM)");
}

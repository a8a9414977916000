#include "launcher/launch.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/no_follow_file.hpp"
#include "common/rank_map.hpp"
#include "common/stop_signal.hpp"
#include "launcher/child_process.hpp"
#include "launcher/control_channel.hpp"
#include "launcher/failure_report.hpp"
#include "launcher/host_resources.hpp"
#include "launcher/hyperparameter_environment.hpp"
#include "launcher/job_outcome_files.hpp"
#include "launcher/launch_plan.hpp"
#include "net/tls_stream.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

// What the launcher is doing, for the failure file of a job stopped
// (StopTrainingJob's SIGTERM) before its ranks run.
std::string g_waiting_for = "reading the job's configuration";

int fail(const std::string& ml_root, const std::string& host, const std::string& message, int code = 1) {
  log::error(message);
  record_job_failure(failure_file(ml_root), "ringsim launch on " + (host.empty() ? "?" : host) + ": " + message);
  return code;
}

// The leader's control channel to every worker, and (over ssh) each
// worker's sshd ready with the job's key; the workers that did come hear why
// there is no job when any of it fails.
void prepare_workers(LeaderChannel& channel, const std::vector<std::pair<std::string, Endpoint>>& workers,
                     const LaunchCredentials& credentials, const Plan& plan, const LaunchOptions& options,
                     Deadline deadline) {
  try {
    std::string hosts;
    for (const auto& [host, unused] : workers) hosts += (hosts.empty() ? "" : ", ") + host;
    g_waiting_for = "the leader waited for the workers (" + hosts + ") to open their control ports";
    channel.connect(workers, deadline, credentials.control.get(), plan.config.current_host);
    g_waiting_for = "the leader handed the workers the job's ssh key";
    const bool over_ssh = !options.local && !workers.empty();
    if (over_ssh) channel.share_ssh_key(make_job_ssh_key(plan.scratch + "/id_ed25519"), deadline);
    // The leader needs no sshd of its own: mpirun starts its local ranks
    // directly and only logs in to the workers (no tree spawn).
    if (over_ssh)
      for (const auto& [host, unused] : workers) {
        g_waiting_for = "the leader waited for sshd on " + host;
        wait_for_sshd({resolve_host(host, deadline), 22}, deadline, "sshd on " + host);
      }
  } catch (const Error& e) {
    channel.announce({1, e.what()});
    throw;
  }
}

// Runs mpirun to its end and returns its exit code; `ended_by_us` says
// whether the launcher had to end it. mpirun should end the job within
// seconds of a failure (orte_abort_on_non_zero_status), but it can hang in
// its abort waiting for a daemon on a host it cannot reach: once the log
// shows a failure, give it abort_grace_seconds, then end it ourselves.
int run_mpirun(const Plan& plan, FailureReport& report, bool& ended_by_us) {
  ChildProcess mpirun(plan.mpirun.argv, {SIGTERM, true});
  std::optional<std::chrono::steady_clock::time_point> failed_at, stop_at;
  g_waiting_for = "the ranks ran";
  const auto grace = std::chrono::milliseconds(static_cast<long>(plan.settings.abort_grace_seconds * 1000));
  return mpirun.wait([&](const std::string& line) { report.add_line(line); },
                     [&] {
                       // StopTrainingJob: mpirun passes the SIGTERM on to the
                       // ranks, which stop at once, but its own teardown can take
                       // seconds more (remote daemons); SageMaker kills 120 s
                       // later, and a stop should take seconds, so mpirun gets 2.
                       const auto now = std::chrono::steady_clock::now();
                       if (!stop_at && ChildProcess::forwarded_signal() != 0) stop_at = now;
                       if (stop_at && !ended_by_us && now > *stop_at + std::chrono::seconds(2)) {
                         ended_by_us = true;
                         mpirun.terminate(500);
                       }
                       if (!failed_at && report.failed()) failed_at = std::chrono::steady_clock::now();
                       if (failed_at && !ended_by_us && std::chrono::steady_clock::now() > *failed_at + grace) {
                         log::error(fmt::format("mpirun still runs {:.0f} s after the job failed; ending it",
                                                plan.settings.abort_grace_seconds));
                         ended_by_us = true;
                         mpirun.terminate(5000);
                       }
                     },
                     250);
}

// Why the job failed with mpirun's exit `code`: the ranks' own words where
// the log has them.
std::string failure_reason(int code, const FailureReport& report, bool ended_by_us, const Plan& plan) {
  std::string cause = report.summary();
  if (ended_by_us)
    cause += (cause.empty() ? "" : "; ") + std::string("mpirun had not ended the job ") +
             std::to_string(static_cast<int>(plan.settings.abort_grace_seconds)) +
             " s after the first failure and was ended by the launcher";
  return cause.empty()
             ? "mpirun exited with code " + std::to_string(code) + " (see the ringsim: error lines in the log)"
             : cause + " (mpirun exit code " + std::to_string(code) + ")";
}

int run_leader(const Plan& plan, const LaunchOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(plan.settings.wait_seconds * 1000));
  std::vector<std::pair<std::string, Endpoint>> workers;
  for (const auto& h : plan.ranks.hosts())
    if (h.host != plan.leader_host) workers.emplace_back(h.host, control_endpoint(plan, options, h.host));
  LeaderChannel channel;
  LaunchCredentials credentials;
  try {
    credentials = launch_credentials(plan, options);
  } catch (const Error& e) {
    // Without usable credentials this leader cannot open the control channel:
    // tell the workers in plaintext (they would otherwise wait wait_seconds).
    const std::string reason = "the leader " + plan.config.current_host + " cannot take part: " + e.what();
    g_waiting_for = "the leader told the workers it cannot take part";
    LeaderChannel::tell_plain(workers, reason,
                              std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(50)));
    throw TlsError(reason);
  }
  const RemoveAtExit remove_checkpoint_key{write_checkpoint_key(credentials.checkpoint_key, options)};
  prepare_workers(channel, workers, credentials, plan, options, deadline);
  replace_file_no_follow(plan.mpirun.hostfile_path, plan.mpirun.hostfile, 0600);
  RemoveAtExit remove_hostfile{plan.mpirun.hostfile_path};
  log::info(fmt::format("leader {} starts {} ranks on {} hosts ({} per host: {})\n{}", plan.leader_host,
                        plan.ranks.ranks(), plan.ranks.hosts().size(), plan.ranks.hosts().front().ranks,
                        plan.per_host_why, plan.ranks.table()));
  std::vector<std::string> host_of_rank;
  for (int r = 0; r < plan.ranks.ranks(); ++r) host_of_rank.push_back(plan.ranks.host_of(r));
  FailureReport report(std::move(host_of_rank));
  bool ended_by_us = false;
  const int code = run_mpirun(plan, report, ended_by_us);
  std::string reason;
  if (const int signal = ChildProcess::forwarded_signal(); signal != 0 && code != 0) {
    // The stop is the cause: the ranks' "stopped by signal 15" lines echo it.
    reason = "stopped by signal " + std::to_string(signal) + (signal == SIGTERM ? " (SIGTERM)" : "") +
             " (StopTrainingJob) while " + g_waiting_for;
    log::error("job failed: " + reason);
    channel.announce({128 + signal, reason});
    record_job_failure(failure_file(options.ml_root), "ringsim launch on " + plan.config.current_host + ": " + reason);
    return 128 + signal;
  }
  if (code != 0) {
    reason = failure_reason(code, report, ended_by_us, plan);
    log::error("job failed: " + reason);
  }
  reason = with_checkpoint_advice(reason);
  channel.announce({code, reason});
  if (code != 0) record_job_failure(failure_file(options.ml_root), "job failed: " + reason);
  if (code == 0) remove_job_checkpoints(options.ml_root);
  return code;
}

int run_worker(const Plan& plan, const LaunchOptions& options) {
  WorkerChannel channel(options.local ? control_endpoint(plan, options, plan.config.current_host)
                                      : Endpoint{"0.0.0.0", plan.settings.control_port});
  if (options.local) channel.set_leader_address("127.0.0.1");
  std::unique_ptr<ChildProcess> sshd;
  g_waiting_for = "this worker started sshd";
  if (!options.local) sshd = start_sshd();
  g_waiting_for = "this worker waited for the leader " + plan.leader_host + " (to connect, then for the job's outcome)";
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(plan.settings.wait_seconds * 1000));
  LaunchCredentials credentials;
  try {
    credentials = launch_credentials(plan, options);
  } catch (const Error& e) {
    // Without usable credentials this worker cannot join the control
    // channel: it answers the leader's connections with why (the leader would
    // otherwise wait wait_seconds and then blame the control port), then fails.
    const std::string reason = "the worker " + plan.config.current_host + " cannot take part: " + e.what();
    g_waiting_for = "this worker told the leader it cannot take part";
    channel.refuse_all(reason, plan.leader_host,
                       std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(50)));
    throw TlsError(reason);
  }
  const RemoveAtExit remove_checkpoint_key{write_checkpoint_key(credentials.checkpoint_key, options)};
  // Where sshd looks for root's keys (a test cluster names its own file).
  std::string authorized_keys;
  if (!options.local) {
    const char* configured = std::getenv("RINGSIM_AUTHORIZED_KEYS");
    const char* home = std::getenv("HOME");
    authorized_keys = configured ? configured : std::string(home ? home : "/root") + "/.ssh/authorized_keys";
  }
  const JobOutcome outcome = channel.await_outcome(deadline, plan.leader_host, credentials.control.get(),
                                                   authorized_keys, plan.config.current_host);
  if (outcome.exit_code != 0) {
    const std::string reason = "job failed (leader " + plan.leader_host + " reports): " + outcome.reason;
    log::error(reason);
    record_job_failure(failure_file(options.ml_root), reason);
    return outcome.exit_code;
  }
  remove_job_checkpoints(options.ml_root);
  return 0;
}

}  // namespace

std::vector<std::string> launch_mpirun_argv(const LaunchOptions& options, const SageMakerConfig& config) {
  return make_plan(options, config, (fs::temp_directory_path() / "ringsim-XXXXXX").string()).mpirun.argv;
}

int run_launch(const LaunchOptions& options) {
  // From the first moment: in a container the launcher is PID 1, which
  // ignores any signal it has no handler for, so without this SageMaker's
  // StopTrainingJob (SIGTERM) would go unheard until the SIGKILL 120 s later.
  // The handler sets a flag that every wait polls at least once a second
  // (common/socket.cpp, BlockingTls); while mpirun runs, ChildProcess::wait
  // passes the signal on to it instead.
  install_stop_handler();
  std::string host;
  try {
    SageMakerConfig config = load_sagemaker_config(options.ml_root, current_environment());
    // Read: from here on they would only carry the job secret into every
    // child's environment (launcher/hyperparameter_environment.hpp).
    remove_hyperparameter_variables();
    host = config.current_host;
    const RemoveAtExit scratch = make_private_folder("ringsim-" + host);
    const Plan plan = make_plan(options, std::move(config), scratch.path());
    if (options.dry_run) {
      std::printf("role: %s (%s)\n%s", plan.leader ? "leader" : "worker", host.c_str(), plan.ranks.table().c_str());
      std::printf("hostfile (%s):\n%s", plan.mpirun.hostfile_path.c_str(), plan.mpirun.hostfile.c_str());
      std::string argv;
      for (const auto& word : plan.mpirun.argv) argv += (argv.empty() ? "" : " ") + shell_quote(word);
      std::printf("mpirun argv:\n%s\n", argv.c_str());
      std::printf("%s", dry_run_checks(plan, options).c_str());
      return 0;
    }
    // output/failure describes this job: a rerun on the same ML root starts
    // without the last job's (the ranks write theirs only where none is).
    std::error_code ignored;
    fs::remove(failure_file(options.ml_root), ignored);
    return plan.leader ? run_leader(plan, options) : run_worker(plan, options);
  } catch (const StoppedError& e) {
    // Unwinding has removed the job's ssh key and the hostfile, and ended
    // sshd; 128 + the signal, as a process killed by it would give.
    return fail(options.ml_root, host, std::string(e.what()) + " (StopTrainingJob) while " + g_waiting_for,
                128 + stop_signal());
  } catch (const std::exception& e) {
    return fail(options.ml_root, host, e.what());
  }
}

}  // namespace ringsim

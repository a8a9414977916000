#include "app/cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <thread>

#include "bench/bench_gemm.hpp"
#include "bench/bench_transport.hpp"
#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/host.hpp"
#include "common/log.hpp"
#include "common/phase.hpp"
#include "common/stop_signal.hpp"
#include "engine/generate.hpp"
#include "engine/job.hpp"
#include "kernels/gemm_backend.hpp"
#include "launcher/launch.hpp"
#include "transport/agreement.hpp"
#include "transport/certificates.hpp"
#include "transport/mpi_comm.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

namespace {

void write_certificates(const std::string& dir, std::vector<std::string> hosts, int days,
                        const std::string& ca_key_path) {
  if (hosts.empty()) hosts.push_back(identity_host());
  write_job_certificates(dir, hosts, days, ca_key_path);
  std::printf(
      "wrote %s/ca.pem and a certificate and key per host (%zu hosts, valid %d days, files 0600)%s\n"
      "use: --transport tls --tls-ca %s/ca.pem --tls-cert '%s/{host}.pem' --tls-key '%s/{host}.key'\n",
      dir.c_str(), hosts.size(), days, ca_key_path.empty() ? "; the CA key was not kept" : "", dir.c_str(), dir.c_str(),
      dir.c_str());
}

void print_error(const std::string& message) { log::error(message); }

void add_run_options(CLI::App& run, RunOptions& options) {
  run.add_option("--input", options.input, "Input matrix: .npy, .csv, or a directory of them")->required();
  run.add_option("--out", options.out_dir, "Output directory (created if missing)")->required();
  run.add_option("--ids", options.ids,
                 "Row ids, one per line (or a 1-D integer .npy), in row order: adds neighbor_ids.npy and id columns "
                 "in pairs.csv");
  run.add_option("--mode", options.mode.mode, "topk | full | threshold")->capture_default_str();
  run.add_option("--k", options.mode.k, "Neighbours per row in topk mode")->capture_default_str();
  run.add_option("--threshold", options.mode.threshold, "Minimum score in threshold mode")->capture_default_str();
  run.add_option("--dtype", options.dtype, "Compute precision: float32 | float64")->capture_default_str();
  run.add_option("--transport", options.transport.kind, "mpi | tcp | tls")->capture_default_str();
  run.add_option("--bind", options.transport.bind,
                 "ADDR|IFACE|HOST[:PORT] the tcp/tls transports listen on (default: loopback on one machine, "
                 "else the host name's address)");
  run.add_option("--advertise", options.transport.advertise,
                 "ADDR:PORT peers should connect to instead of the bound address (NAT, port forwarding)");
  run.add_option("--tls-ca", options.transport.tls_ca, "Job CA certificate (PEM)");
  run.add_option("--tls-cert", options.transport.tls_cert, "This host's certificate (PEM; {host} is replaced)");
  run.add_option("--tls-key", options.transport.tls_key, "This host's private key (PEM; {host} is replaced)");
  run.add_flag("--tls-ephemeral", options.transport.tls_ephemeral,
               "Generate a throwaway CA and certificates at start-up");
  run.add_option("--tls-ciphersuites", options.transport.tls_ciphersuites, "TLS 1.3 cipher suites")
      ->capture_default_str();
  run.add_option("--tls-crypto", options.transport.tls_crypto,
                 "TLS records: auto (OpenSSL's record layer, handed to the kernel (kTLS) where the kernel and OpenSSL "
                 "offer it) | "
                 "openssl (OpenSSL's record layer in user space only)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "openssl"}));
  run.add_option("--tile", options.tile.rows, "Tile edge in rows (memory per tile is tile^2 scores)")
      ->capture_default_str()
      ->each([&options](const std::string&) { options.tile.cols = options.tile.rows; });
  run.add_option("--timeout", options.timeout_seconds, "Seconds to wait for a peer before failing")
      ->capture_default_str();
  run.add_option("--max-output-bytes,--max-full-bytes", options.max_output_bytes,
                 "Largest output (all result files) a job may write; threshold mode estimates it before computing")
      ->capture_default_str();
  run.add_flag("--sharded", options.sharded, "Each rank's --input holds only its own rows (in rank order)");
  run.add_flag("--quiet", options.quiet, "No name=value summary on stdout");
  run.add_option("--hosts", options.hosts, "Place ranks on these hosts (natural order, contiguous per host)")
      ->delimiter(',');
  run.add_option("--processes-per-host", options.processes_per_host, "Ranks per host with --hosts")
      ->capture_default_str();
  run.add_flag("--check-hosts", options.check_hosts, "Fail unless each rank runs on the host the map gives it");
  run.add_option("--failure-file", options.failure_file, "Write the failure reason here if the job fails");
  run.add_option("--checkpoint-dir", options.checkpoint_dir,
                 "Save partial results after ring steps and resume from them when rerun ({host} is replaced)");
  run.add_option("--progress-seconds", options.progress_seconds,
                 "Rank 0 prints step, share done, ETA and GFLOP/s this often (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  run.add_option("--checkpoint-every", options.checkpoint_every, "Save after every N-th ring step (and the last)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
}

int run_job_command(RunOptions options, int argc, char** argv) {
  // The transport's own start-up (OpenSSL's, an ephemeral certificate)
  // overlaps MPI's instead of adding to the job.
  TransportWarmUp warm_up(options.transport);
  // The watchdog's bound for MPI start-up and shut-down; a bad --timeout is
  // reported by the job's own validation, after start-up.
  const double bound = options.timeout_seconds > 0 && options.timeout_seconds < 1e6 ? options.timeout_seconds : 300;
  MpiSession session(&argc, &argv, Millis(static_cast<std::int64_t>(bound * 1000)));
  warm_up.finish();
  install_stop_handler();
  use_single_threaded_gemm();
  MpiComm comm;
  set_rank_identity(comm.rank(), identity_host());
  try {
    run_similarity_job(options, comm);
    return 0;
  } catch (const AgreedFailure& e) {
    if (e.everyone_knows()) {
      // Every rank knows; one line from rank 0 is enough.
      if (comm.rank() == 0) print_error(e.what());
      return 1;
    }
    // Rank 0 stopped waiting for ranks stuck on the one that failed.
    print_error(std::string(e.what()) + " (ending the job: some ranks did not report)");
    MpiSession::abort(1);
  } catch (const StoppedError& e) {
    print_error(where_this_rank_is() + ": " + e.what() + "; no output was written");
    MpiSession::abort(128 + stop_signal());
  } catch (const std::exception& e) {
    // Only this rank knows: say so and take the job down with it, so that no
    // peer waits for us until its timeout.
    print_error(where_this_rank_is() + ": " + e.what());
    MpiSession::abort(1);
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"ringsim: exact all-pairs cosine similarity over a ring of MPI ranks"};
  app.set_version_flag("--version", std::string("ringsim ") + RINGSIM_VERSION);
  app.require_subcommand(1);
  // Accepted before or after the subcommand (ringsim run --log-level debug).
  app.fallthrough();
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug | info | warning | error: the least severe lines printed")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));

  GenerateOptions gen;
  std::string gen_out;
  auto* gen_cmd = app.add_subcommand("gen", "Write a seeded, clustered float32 matrix");
  gen_cmd->add_option("--rows", gen.rows, "Rows")->required();
  gen_cmd->add_option("--cols", gen.cols, "Columns")->required();
  gen_cmd->add_option("--seed", gen.seed, "Random seed")->capture_default_str();
  gen_cmd->add_option("--clusters", gen.clusters, "Cluster centres")->capture_default_str();
  gen_cmd->add_option("--noise", gen.noise, "Noise standard deviation")->capture_default_str();
  gen_cmd->add_option("--out", gen_out, "Output .npy or .csv")->required();

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Run a similarity job (under mpirun)");
  add_run_options(*run_cmd, run);

  std::string certs_out;
  std::vector<std::string> certs_hosts;
  int certs_days = 30;
  auto* certs_cmd = app.add_subcommand("certs", "Make a job CA and a certificate + key per host for --transport tls");
  std::string certs_ca_key;
  certs_cmd->add_option("--out", certs_out, "Directory for ca.pem, HOST.pem, HOST.key (the certificate channel)")
      ->required();
  certs_cmd->add_option("--ca-key", certs_ca_key,
                        "Also keep the CA's private key here (outside the channel), to issue more certificates");
  certs_cmd->add_option("--hosts", certs_hosts, "Host names (comma separated; default: this host)")->delimiter(',');
  certs_cmd->add_option("--days", certs_days, "Validity in days")->capture_default_str();

  auto* bench_cmd = app.add_subcommand("bench", "Micro-benchmarks");
  bench_cmd->require_subcommand(1);
  GemmBenchOptions gemm;
  auto* gemm_cmd = bench_cmd->add_subcommand("gemm", "Single-core GEMM peak and fused top-k tile rate");
  gemm_cmd->add_option("--tile", gemm.tile, "Tile edge")->capture_default_str();
  gemm_cmd->add_option("--depth", gemm.depth, "Columns (d)")->capture_default_str();
  gemm_cmd->add_option("--k", gemm.k, "k for the fused selection")->capture_default_str();
  gemm_cmd->add_option("--seconds", gemm.seconds, "Seconds per measurement")->capture_default_str();

  TransportBenchOptions transport_bench;

  auto* transport_cmd = bench_cmd->add_subcommand("transport", "Ping-pong and ring bandwidth per transport (mpirun)");
  transport_cmd
      ->add_option("--transport", transport_bench.transports,
                   "Transports, comma separated: mpi, tcp, tls, tls-openssl (user-space records only); a -x2 suffix "
                   "stripes each message over "
                   "two connections per peer")
      ->delimiter(',')
      ->capture_default_str();
  transport_cmd->add_option("--sizes", transport_bench.sizes, "LOW..HIGH (powers of two) or a comma list")
      ->capture_default_str();
  transport_cmd->add_option("--seconds", transport_bench.seconds_per_size, "Time budget per size and test")
      ->capture_default_str();
  transport_cmd->add_option("--out", transport_bench.out, "Write every sample as JSON here (rank 0)");
  transport_cmd->add_option("--tls-ciphersuites", transport_bench.tls_ciphersuites, "TLS 1.3 suites")
      ->capture_default_str();
  transport_cmd->add_option("--tls-crypto", transport_bench.tls_crypto, "auto | openssl (or list tls-openssl)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "openssl"}));

  LaunchOptions launch;
  auto* launch_cmd = app.add_subcommand("launch", "SageMaker entrypoint: read /opt/ml, start mpirun from the leader");
  launch_cmd->add_option("--ml-root", launch.ml_root, "The ML root")->capture_default_str();
  launch_cmd->add_flag("--dry-run", launch.dry_run, "Print the rank table, hostfile and mpirun argv; run nothing");
  launch_cmd->add_flag("--local", launch.local,
                       "Simulate on this machine: ML roots are sibling folders named by host, no sshd");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::set_level(log_level);

  try {
    if (*gen_cmd) {
      write_matrix(gen_out, generate_clustered(gen));
      return 0;
    }
    if (*run_cmd) return run_job_command(run, argc, argv);
    if (*launch_cmd) return run_launch(launch);
    if (*transport_cmd) {
      MpiSession session(&argc, &argv);
      const MpiComm comm;
      set_rank_identity(comm.rank(), identity_host());
      try {
        run_transport_bench(transport_bench, comm);
        return 0;
      } catch (const std::exception& e) {
        print_error(where_this_rank_is() + ": " + e.what());
        MpiSession::abort(1);
      }
    }
    if (*gemm_cmd) {
      run_gemm_bench(gemm);
      return 0;
    }
    if (*certs_cmd) {
      write_certificates(certs_out, certs_hosts, certs_days, certs_ca_key);
      return 0;
    }
  } catch (const std::exception& e) {
    print_error(e.what());
    return 1;
  }
  return 0;
}

}  // namespace ringsim

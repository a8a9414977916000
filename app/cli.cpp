#include "app/cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "bench/bench_gemm.hpp"
#include "bench/bench_transport.hpp"
#include "common/atomic_file.hpp"
#include "common/build_info.hpp"
#include "common/errors.hpp"
#include "common/host.hpp"
#include "common/job_config.hpp"
#include "common/log.hpp"
#include "common/phase.hpp"
#include "common/stop_signal.hpp"
#include "engine/generate.hpp"
#include "engine/job.hpp"
#include "kernels/gemm_backend.hpp"
#include "launcher/launch.hpp"
#include "launcher/launch_settings.hpp"
#include "mpi/mpi_comm.hpp"
#include "net/certificates.hpp"
#include "transport/agreement.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

namespace {

void write_certificates(const std::string& dir, std::vector<std::string> hosts, int days,
                        const std::string& ca_key_path, const std::string& job) {
  if (hosts.empty()) hosts.push_back(identity_host());
  hosts = expand_host_ranges(hosts);
  const std::string named = write_job_certificates(dir, hosts, days, ca_key_path, job);
  std::printf(
      "wrote %s/ca.pem (CA of job %s) and a certificate and key per host (%zu hosts, valid %d days, files "
      "0600)%s\n"
      "use: --transport tls --tls-ca %s/ca.pem --tls-cert '%s/{host}.pem' --tls-key '%s/{host}.key'\n",
      dir.c_str(), named.c_str(), hosts.size(), days, ca_key_path.empty() ? "; the CA key was not kept" : "",
      dir.c_str(), dir.c_str(), dir.c_str());
}

void print_error(const std::string& message) { log::error(message); }

// Binds every option of the job table (common/job_config.hpp) to `run`:
// the same names, defaults, help and parsing as the hyperparameters. Text
// that does not parse is kept in `options.invalid_option`: the job reports
// it once MPI is up, from one rank, as it does a value out of range.
void add_run_options(CLI::App& run, RunOptions& options) {
  visit_job_options(static_cast<JobConfig&>(options), [&run, &options](const OptionInfo& info, auto& field) {
    using Field = std::decay_t<decltype(field)>;
    const std::string flag = flag_of(info);
    std::string names = flag;
    if (!info.alias.empty()) names += "," + alias_flag(info);
    const std::string help = help_text(info);
    if constexpr (std::is_same_v<Field, bool>) {
      run.add_flag(names, field, help);
    } else {
      CLI::Option* option = run.add_option_function<std::string>(
          names,
          [&field, &options, flag](const std::string& text) {
            try {
              parse_option(text, field, flag);
            } catch (const InputError& e) {
              if (options.invalid_option.empty()) options.invalid_option = e.what();
            }
          },
          help);
      if (const std::string text = option_text(field); !text.empty()) option->default_str(text);
      if constexpr (std::is_enum_v<Field>)
        option->type_name("{" + choices_text(field, ",") + "}");
      else if constexpr (std::is_same_v<Field, double>)
        option->type_name("NUMBER");
      else if constexpr (std::is_integral_v<Field>)
        option->type_name("INT");
      else if constexpr (std::is_same_v<Field, std::vector<std::string>>)
        option->type_name("LIST");
      if (info.required) option->required();
    }
  });
}

int run_job_command(RunOptions options, int argc, char** argv) {
  options.command_line.assign(argv, argv + argc);
  // The transport's own start-up (OpenSSL's, an ephemeral certificate)
  // overlaps MPI's instead of adding to the job.
  if (options.balance == Balance::measured) {
    // Shared memory without single-copy (containers forbid the ptrace it
    // needs) moves a large message in max_send_size pieces, a few per MPI
    // call: at the default 32 KiB a 40 MB block reached a rank that finished
    // its share early about a second late. 512 KiB pieces move it within
    // the step, but cost equal ranks about 5 % of their GEMM rate (cache
    // traffic), so only measured shares ask for them. A user's value wins.
    ::setenv("OMPI_MCA_btl_vader_max_send_size", "524288", /*overwrite=*/0);
  }
  TransportOptions transport = transport_options(options);
  TransportWarmUp warm_up(transport);
  // The watchdog's bound for MPI start-up and shut-down; a bad --timeout is
  // reported by the job's own validation, after start-up.
  const double bound = options.timeout > 0 && options.timeout <= kMaxTimeoutSeconds ? options.timeout : 300;
  MpiSession session(&argc, &argv, Millis(static_cast<std::int64_t>(bound * 1000)));
  warm_up.finish();
  install_stop_handler();
  use_single_threaded_gemm();
  MpiComm comm;
  set_rank_identity(comm.rank(), identity_host());
  try {
    run_similarity_job(options, transport, comm);
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
  app.set_version_flag("--version", "ringsim " + ringsim_version_text());
  app.require_subcommand(1);
  // Accepted before or after the subcommand (ringsim run --log-level debug).
  app.fallthrough();
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug | info | warning | error: the least severe lines printed")
      ->capture_default_str()
      ->check(CLI::IsMember(std::vector<std::string>(log::level_names().begin(), log::level_names().end())));

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
  auto* options_cmd = app.add_subcommand("options", "Print the job options as a Markdown table (docs/options.md)");
  bool launcher_options = false;
  options_cmd->add_flag("--launcher", launcher_options,
                        "Print the launcher's own hyperparameters instead (docs/sagemaker.md)");

  std::string certs_out;
  std::vector<std::string> certs_hosts;
  int certs_days = 7;
  std::string certs_job;
  auto* certs_cmd = app.add_subcommand("certs", "Make a job CA and a certificate + key per host for --transport tls");
  std::string certs_ca_key;
  certs_cmd->add_option("--out", certs_out, "Directory for ca.pem, HOST.pem, HOST.key (the certificate channel)")
      ->required();
  certs_cmd->add_option("--ca-key", certs_ca_key,
                        "Also keep the CA's private key here (outside the channel), to issue more certificates");
  certs_cmd
      ->add_option(
          "--hosts", certs_hosts,
          "Host names (comma separated; algo-1..8 is algo-1,...,algo-8, SageMaker's names for 8 instances; default: "
          "this host)")
      ->delimiter(',');
  certs_cmd->add_option("--days", certs_days, "Validity in days (cover the job's max_wait or max_run)")
      ->capture_default_str();
  certs_cmd->add_option("--job", certs_job, "The job these certificates are for, named in the CA (default: random)");

  auto* bench_cmd = app.add_subcommand("bench", "Micro-benchmarks");
  bench_cmd->require_subcommand(1);
  GemmBenchOptions gemm;
  auto* gemm_cmd = bench_cmd->add_subcommand("gemm", "Single-core GEMM peak and fused top-k tile rate");
  gemm_cmd->add_option("--tile", gemm.tile, "Tile edge")->capture_default_str();
  gemm_cmd->add_option("--depth", gemm.depth, "Columns (d)")->capture_default_str();
  gemm_cmd->add_option("--k", gemm.k, "k for the fused selection")->capture_default_str();
  gemm_cmd->add_option("--seconds", gemm.seconds, "Seconds per measurement")->capture_default_str();

  double cipher_seconds = 1.0;
  std::size_t cipher_record = 16384;
  auto* cipher_cmd = bench_cmd->add_subcommand(
      "cipher", "One core's AES-128-GCM sealing rate on 16 KiB records, as the tls transport runs it (no MPI)");
  cipher_cmd->add_option("--seconds", cipher_seconds, "Seconds to measure")->capture_default_str();
  cipher_cmd->add_option("--record", cipher_record, "Plaintext bytes per sealed record")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));

  TransportBenchOptions transport_bench;

  auto* transport_cmd = bench_cmd->add_subcommand("transport", "Ping-pong and ring bandwidth per transport (mpirun)");
  transport_cmd
      ->add_option("--transport", transport_bench.transports,
                   "Transports, comma separated: mpi, tcp, tls (pipelined records, as run --tls-pipelining on), "
                   "tls-openssl (user-space records only), tls-serial (neither sending nor receiving pipelined, as "
                   "--tls-pipelining off), tls-serial-receive (pipelined sending only); a "
                   "-x2 suffix "
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
  transport_cmd->add_option("--bind", transport_bench.bind,
                            "ADDR|IFACE each rank listens on (as `run --bind`); default: loopback on one machine");
  transport_cmd->add_option("--netns", transport_bench.netns,
                            "Network namespace (ip netns) this rank's connections use, entered after MPI starts: "
                            "ranks in two namespaces joined by a capped veth measure a link (root; give each rank "
                            "its own with mpirun's MPMD ':')");

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
    if (*options_cmd) {
      std::fputs((launcher_options ? launch_settings_markdown() : job_options_markdown()).c_str(), stdout);
      return 0;
    }
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
    if (*cipher_cmd) {
      std::printf("cipher_seal_MBps=%.0f record_bytes=%zu\n", cipher_seal_rate(cipher_seconds, cipher_record) / 1e6,
                  cipher_record);
      return 0;
    }
    if (*certs_cmd) {
      write_certificates(certs_out, certs_hosts, certs_days, certs_ca_key, certs_job);
      return 0;
    }
  } catch (const std::exception& e) {
    print_error(e.what());
    return 1;
  }
  return 0;
}

}  // namespace ringsim

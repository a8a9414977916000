#include "app/cli.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
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

// A rank that timed out waiting for a peer may be downstream of the rank
// that actually stalled: that peer waits on it too, its own wait having
// started about when ours did. Aborting at once could end the job before
// that peer names the stalled rank, so this rank waits a short grace first;
// the job ends sooner if another rank aborts it (a stop signal arrives).
void wait_for_upstream_report(double timeout_seconds) {
  const auto grace =
      std::chrono::milliseconds(static_cast<std::int64_t>(std::clamp(timeout_seconds / 2, 0.0, 5.0) * 1000));
  const auto until = std::chrono::steady_clock::now() + grace;
  while (stop_signal() == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
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
  } catch (const TimeoutError& e) {
    print_error(where_this_rank_is() + ": " + e.what());
    wait_for_upstream_report(bound);
    MpiSession::abort(1);
  } catch (const std::exception& e) {
    // Only this rank knows: say so and take the job down with it, so that no
    // peer waits for us until its timeout.
    print_error(where_this_rank_is() + ": " + e.what());
    MpiSession::abort(1);
  }
}

// A subcommand and what runs it once the command line named it; the
// options it binds live in the function.
using Subcommand = std::pair<CLI::App*, std::function<int()>>;

Subcommand add_gen_command(CLI::App& app) {
  auto gen = std::make_shared<GenerateOptions>();
  auto out = std::make_shared<std::string>();
  auto* command = app.add_subcommand("gen", "Write a seeded, clustered float32 matrix");
  command->add_option("--rows", gen->rows, "Rows")->required();
  command->add_option("--cols", gen->cols, "Columns")->required();
  command->add_option("--seed", gen->seed, "Random seed")->capture_default_str();
  command->add_option("--clusters", gen->clusters, "Cluster centres")->capture_default_str();
  command->add_option("--noise", gen->noise, "Noise standard deviation")->capture_default_str();
  command->add_option("--out", *out, "Output .npy or .csv")->required();
  return {command, [gen, out] {
            write_matrix(*out, generate_clustered(*gen));
            return 0;
          }};
}

Subcommand add_run_command(CLI::App& app, int argc, char** argv) {
  auto run = std::make_shared<RunOptions>();
  auto* command = app.add_subcommand("run", "Run a similarity job (under mpirun)");
  add_run_options(*command, *run);
  return {command, [run, argc, argv] { return run_job_command(*run, argc, argv); }};
}

Subcommand add_options_command(CLI::App& app) {
  auto* command = app.add_subcommand("options", "Print the job options as a Markdown table (docs/options.md)");
  auto launcher = std::make_shared<bool>(false);
  command->add_flag("--launcher", *launcher, "Print the launcher's own hyperparameters instead (docs/sagemaker.md)");
  return {command, [launcher] {
            std::fputs((*launcher ? launch_settings_markdown() : job_options_markdown()).c_str(), stdout);
            return 0;
          }};
}

Subcommand add_certs_command(CLI::App& app) {
  struct Certs {
    std::string out, ca_key, job;
    std::vector<std::string> hosts;
    int days = 7;
  };
  auto certs = std::make_shared<Certs>();
  auto* command = app.add_subcommand("certs", "Make a job CA and a certificate + key per host for --transport tls");
  command->add_option("--out", certs->out, "Directory for ca.pem, HOST.pem, HOST.key (the certificate channel)")
      ->required();
  command->add_option("--ca-key", certs->ca_key,
                      "Also keep the CA's private key here (outside the channel), to issue more certificates");
  command
      ->add_option(
          "--hosts", certs->hosts,
          "Host names (comma separated; algo-1..8 is algo-1,...,algo-8, SageMaker's names for 8 instances; default: "
          "this host)")
      ->delimiter(',');
  command->add_option("--days", certs->days, "Validity in days (cover the job's max_wait or max_run)")
      ->capture_default_str();
  command->add_option("--job", certs->job, "The job these certificates are for, named in the CA (default: random)");
  return {command, [certs] {
            write_certificates(certs->out, certs->hosts, certs->days, certs->ca_key, certs->job);
            return 0;
          }};
}

Subcommand add_gemm_bench(CLI::App& bench) {
  auto gemm = std::make_shared<GemmBenchOptions>();
  auto* command = bench.add_subcommand("gemm", "Single-core GEMM peak and fused top-k tile rate");
  command->add_option("--tile", gemm->tile, "Tile edge")->capture_default_str();
  command->add_option("--depth", gemm->depth, "Columns (d)")->capture_default_str();
  command->add_option("--k", gemm->k, "k for the fused selection")->capture_default_str();
  command->add_option("--seconds", gemm->seconds, "Seconds per measurement")->capture_default_str();
  return {command, [gemm] {
            run_gemm_bench(*gemm);
            return 0;
          }};
}

Subcommand add_cipher_bench(CLI::App& bench) {
  auto seconds = std::make_shared<double>(1.0);
  auto record = std::make_shared<std::size_t>(16384);
  auto* command = bench.add_subcommand(
      "cipher", "One core's AES-128-GCM sealing rate on 16 KiB records, as the tls transport runs it (no MPI)");
  command->add_option("--seconds", *seconds, "Seconds to measure")->capture_default_str();
  command->add_option("--record", *record, "Plaintext bytes per sealed record")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  return {command, [seconds, record] {
            std::printf("cipher_seal_MBps=%.0f record_bytes=%zu\n", cipher_seal_rate(*seconds, *record) / 1e6, *record);
            return 0;
          }};
}

// Runs `bench` on every rank under mpirun; a rank that fails takes the job down.
int run_transport_bench_command(const TransportBenchOptions& bench, int argc, char** argv) {
  MpiSession session(&argc, &argv);
  const MpiComm comm;
  set_rank_identity(comm.rank(), identity_host());
  try {
    run_transport_bench(bench, comm);
    return 0;
  } catch (const std::exception& e) {
    print_error(where_this_rank_is() + ": " + e.what());
    MpiSession::abort(1);
  }
}

Subcommand add_transport_bench(CLI::App& bench, int argc, char** argv) {
  auto options = std::make_shared<TransportBenchOptions>();
  auto* command = bench.add_subcommand("transport", "Ping-pong and ring bandwidth per transport (mpirun)");
  command
      ->add_option("--transport", options->transports,
                   "Transports, comma separated: mpi, tcp, tls (pipelined records, as run --tls-pipelining on), "
                   "tls-openssl (user-space records only), tls-serial (neither sending nor receiving pipelined, as "
                   "--tls-pipelining off), tls-serial-receive (pipelined sending only); a "
                   "-x2 suffix "
                   "stripes each message over "
                   "two connections per peer")
      ->delimiter(',')
      ->capture_default_str();
  command->add_option("--sizes", options->sizes, "LOW..HIGH (powers of two) or a comma list")->capture_default_str();
  command->add_option("--seconds", options->seconds_per_size, "Time budget per size and test")->capture_default_str();
  command->add_option("--out", options->out, "Write every sample as JSON here (rank 0)");
  command->add_option("--tls-ciphersuites", options->tls_ciphersuites, "TLS 1.3 suites")->capture_default_str();
  command->add_option("--tls-crypto", options->tls_crypto, "auto | openssl (or list tls-openssl)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "openssl"}));
  command->add_option("--bind", options->bind,
                      "ADDR|IFACE each rank listens on (as `run --bind`); default: loopback on one machine");
  command->add_option("--netns", options->netns,
                      "Network namespace (ip netns) this rank's connections use, entered after MPI starts: "
                      "ranks in two namespaces joined by a capped veth measure a link (root; give each rank "
                      "its own with mpirun's MPMD ':')");
  return {command, [options, argc, argv] { return run_transport_bench_command(*options, argc, argv); }};
}

Subcommand add_launch_command(CLI::App& app) {
  auto launch = std::make_shared<LaunchOptions>();
  auto* command = app.add_subcommand("launch", "SageMaker entrypoint: read /opt/ml, start mpirun from the leader");
  command->add_option("--ml-root", launch->ml_root, "The ML root")->capture_default_str();
  command->add_flag("--dry-run", launch->dry_run, "Print the rank table, hostfile and mpirun argv; run nothing");
  command->add_flag("--local", launch->local,
                    "Simulate on this machine: ML roots are sibling folders named by host, no sshd");
  return {command, [launch] { return run_launch(*launch); }};
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

  std::vector<Subcommand> commands{add_gen_command(app), add_run_command(app, argc, argv), add_options_command(app),
                                   add_certs_command(app)};
  auto* bench = app.add_subcommand("bench", "Micro-benchmarks");
  bench->require_subcommand(1);
  commands.push_back(add_gemm_bench(*bench));
  commands.push_back(add_cipher_bench(*bench));
  commands.push_back(add_transport_bench(*bench, argc, argv));
  commands.push_back(add_launch_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::set_level(log_level);

  try {
    for (const auto& [command, run] : commands)
      if (*command) return run();
  } catch (const std::exception& e) {
    print_error(e.what());
    return 1;
  }
  return 0;
}

}  // namespace ringsim

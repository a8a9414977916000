#pragma once
// Hyperparameters -> the options of the job. Every key is checked: an
// unknown or ill-typed one is a ConfigError naming it. SageMaker's own
// "sagemaker_*" keys are ignored, except the toolkit's MPI ones, which mean
// what they mean there (see parse_launch_settings).
//
// Numbers that ringsim run takes are kept as the text the user gave, after
// checking it: the rank command passes "0.99999995" on as "0.99999995", not
// as a float printed back with six decimals.
#include <cstdint>
#include <map>
#include <string>

namespace ringsim {

struct LaunchSettings {
  std::string mode = "topk";
  std::string k = "10";           // integer in [1, 2^31 - 1]
  std::string threshold = "0.5";  // finite number
  std::string transport = "mpi";
  std::string dtype = "float32";
  int processes_per_host = 0;  // 0: the host's CPU count
  std::string channel = "train";
  std::string tile = "1024";                    // integer in [1, 2^31 - 1]
  std::string timeout = "300";                  // seconds, (0, 1 week]
  double timeout_seconds = 300;                 // the same, as a number
  std::string max_output_bytes = "4294967296";  // integer >= 1 (also read as max_full_bytes)
  std::string mpi_options;                      // extra mpirun options; they override the defaults
  std::string tls_ciphersuites = "TLS_AES_128_GCM_SHA256";
  std::string tls_crypto = "auto";  // auto | openssl: who seals the TLS records
  std::string tls_channel;          // channel holding ca.pem, HOST.pem, HOST.key (ringsim certs)
  // job-ca: tls needs tls_channel; launch-channel-fingerprints: ephemeral
  // self-signed certificates pinned through the MPI launch channel.
  std::string tls_trust = "job-ca";
  std::string log_level = "info";  // passed to the ranks as --log-level
  double wait_seconds = 1800;      // how long leader and workers wait for each other to appear
  int control_port = 7177;         // leader -> worker outcome channel
  // How long the leader lets mpirun take to end the job once the log shows a
  // failure (a rank's error, a killed rank, a lost host); then it ends mpirun.
  double abort_grace_seconds = 30;
};

// The most ranks one host may run: far above any instance's CPU count, far
// below where the total rank count or mpirun's -np could overflow.
inline constexpr int kMaxProcessesPerHost = 4096;

// The toolkit's MPI hyperparameters, as SageMaker's MPI images use them:
//   sagemaker_mpi_enabled                    must be true (or absent): ringsim
//                                            always runs its ranks under mpirun
//   sagemaker_mpi_num_of_processes_per_host  = processes_per_host (both given: equal)
//   sagemaker_mpi_custom_mpi_options         mpirun options, before mpi_options
LaunchSettings parse_launch_settings(const std::map<std::string, std::string>& hyperparameters);

}  // namespace ringsim

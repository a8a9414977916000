#pragma once
// Hyperparameters -> the options of the job. Every key is checked: an
// unknown or ill-typed one is a ConfigError naming it (SageMaker's own
// "sagemaker_*" keys are ignored).
#include <cstdint>
#include <map>
#include <string>

namespace ringsim {

struct LaunchSettings {
  std::string mode = "topk";
  int k = 10;
  double threshold = 0.5;
  std::string transport = "mpi";
  std::string dtype = "float32";
  int processes_per_host = 0;  // 0: the host's CPU count
  std::string channel = "train";
  std::int64_t tile = 1024;
  double timeout_seconds = 300;
  std::int64_t max_full_bytes = std::int64_t{4} << 30;
  std::string mpi_options;  // extra mpirun options; they override the defaults
  std::string tls_ciphersuites = "TLS_AES_128_GCM_SHA256";
  std::string tls_crypto = "auto";  // auto | openssl: who seals the TLS records
  std::string tls_channel;          // channel holding ca.pem, HOST.pem, HOST.key; empty: ephemeral
  double wait_seconds = 1800;       // how long leader and workers wait for each other to appear
  int control_port = 7177;          // leader -> worker outcome channel
};

LaunchSettings parse_launch_settings(const std::map<std::string, std::string>& hyperparameters);

}  // namespace ringsim

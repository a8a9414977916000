#pragma once
// The settings of one similarity job, typed, with their defaults, and the one
// table that names them. The command line (`ringsim run --NAME`) and the
// SageMaker hyperparameters (NAME) are both bound from that table, parse
// text through the same functions and are checked by the same ranges, so an
// option is added, documented and defaulted in one place: here.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ringsim {

enum class Mode { topk, threshold, full };
enum class TransportKind { mpi, tcp, tls };
enum class Dtype { float32, float64 };  // compute precision (float16 input is widened on load)
enum class Device { cpu, cuda };
// The GEMM that nominates candidates in cosine top-k and threshold jobs
// (docs/precision.md): decisions are exact whichever; auto takes bfloat16
// where oneDNN runs it natively (AVX512_BF16, AMX) or the GPU has bfloat16
// tensor cores, else float32. tf32: the GPU's TF32 tensor cores.
enum class Precision { automatic, float32, bfloat16, tf32 };
// Who seals TLS records: OpenSSL, handing them to the kernel (kTLS) where
// both offer it, or OpenSSL in user space only.
enum class TlsCrypto { automatic, openssl };
// How rows are shared out: evenly, or in proportion to each rank's tile rate
// measured at start-up (a slow core gets fewer rows). Even is the default:
// measured shares change from run to run, and a pair computed in another
// GEMM call may differ in its last bit (scores within 2e-7, neighbours the
// same but at exact ties), so reruns are reproducible byte for byte only
// with even shares.
enum class Balance { even, measured };
// Which rank-to-rank edges --transport tls encrypts: all of them, or only
// those between hosts (as SageMaker's inter-container traffic encryption
// does: traffic inside an instance stays in the clear).
enum class Encrypt { all, inter_host };
// TLS records sealed and opened on threads apart from the socket's
// (pipelined), or one after the other on the connection's thread (serial);
// auto: pipelined where the rank may use 2 cores or more and its machine
// has 2 or more per rank on it.
enum class TlsPipelining { automatic, on, off };
// Whether a CSV file's first line is a header: auto (docs/input.md's rules:
// a word after the first field, an empty first field, or the integers
// 0..d-1 or 1..d as pandas names columns), yes, no.
enum class CsvHeader { automatic, yes, no };
// The pair score: the cosine (rows normalised to unit length first), or the
// inner product of the rows as given (embeddings meant unnormalised).
enum class Score { cosine, dot };

// The names the command line and hyperparameters use, in enum order.
std::span<const std::string_view> choice_names(Mode);
std::span<const std::string_view> choice_names(TransportKind);
std::span<const std::string_view> choice_names(Dtype);
std::span<const std::string_view> choice_names(Device);
std::span<const std::string_view> choice_names(Precision);
std::span<const std::string_view> choice_names(TlsCrypto);
std::span<const std::string_view> choice_names(Balance);
std::span<const std::string_view> choice_names(Encrypt);
std::span<const std::string_view> choice_names(TlsPipelining);
std::span<const std::string_view> choice_names(CsvHeader);
std::span<const std::string_view> choice_names(Score);

template <class Enum>
requires std::is_enum_v<Enum> std::string to_string(Enum value) {
  return std::string(choice_names(Enum{})[static_cast<std::size_t>(value)]);
}

// The transport's settings (transport/transport_factory.hpp's
// TransportOptions takes them whole).
struct TransportSettings {
  TransportKind transport = TransportKind::mpi;
  std::string bind;                       // ADDR|IFACE|HOST[:PORT] for tcp / tls
  std::string advertise;                  // ADDR:PORT peers connect to instead (NAT, port forwarding)
  std::string tls_ca, tls_cert, tls_key;  // PEM files
  bool tls_ephemeral = false;             // a throwaway CA and certificates made at start-up
  std::string tls_ciphersuites = "TLS_AES_128_GCM_SHA256";
  TlsCrypto tls_crypto = TlsCrypto::automatic;
  Encrypt encrypt = Encrypt::all;                           // tls: every edge, or only those between hosts
  TlsPipelining tls_pipelining = TlsPipelining::automatic;  // tls: sealing and opening apart from the socket's threads
};

// The output mode's settings (engine/modes/mode_options.hpp's ModeOptions takes them
// whole).
struct ModeSettings {
  Mode mode = Mode::topk;
  int k = 10;
  double threshold = 0.5;
  bool id_matrix = false;  // string ids: also neighbor_ids.npy, the ids of every neighbour (n x k unicode)
};

// The job's settings: the transport's and the mode's, and the rest. Fields
// keep flat names (config.k, config.transport), as the table below binds them.
struct JobConfig : TransportSettings, ModeSettings {
  std::string input;      // .npy, .csv, or a directory of them
  std::string out;        // output directory
  std::string ids;        // row ids: text (one per line) or a 1-D integer .npy; empty: row numbers
  std::string queries;    // query rows (formats as input): each query's results among the input rows
  std::string query_ids;  // the query rows' ids, as --ids
  CsvHeader csv_header = CsvHeader::automatic;
  bool csv_index_col = false;  // a CSV's first column is row ids (pandas' index), not a feature
  Score score = Score::cosine;
  Dtype dtype = Dtype::float32;
  Device device = Device::cpu;
  Precision precision = Precision::automatic;
  Balance balance = Balance::even;
  int tile = 512;                                         // tile edge in rows
  double timeout = 300;                                   // seconds: the bound on every wait for a peer
  std::int64_t max_output_bytes = std::int64_t{4} << 30;  // all result files together
  bool sharded = false;                                   // each rank's --input holds only its rows
  bool quiet = false;                                     // no name=value summary on stdout
  bool hash_inputs = false;                               // report.json: each input file's SHA-256
  std::vector<std::string> hosts;                         // rank map: ranks contiguous per host
  int processes_per_host = 1;
  bool check_hosts = false;
  std::string resource_config;  // SageMaker's resourceconfig.json: current_host names this rank's host
  std::string failure_file;
  std::string checkpoint_dir;
  std::string checkpoint_key_file;  // a secret every host has: checkpoints carry an HMAC keyed from it
  int checkpoint_every = 1;
  double progress_seconds = 10;
};

// One row of the table, written option(name, help) and then what sets the
// option apart: .sagemaker(), .needed(), .range(min, max, unit), .formerly(alias),
// .per_host().
struct OptionInfo {
  std::string_view name;  // hyperparameter key; the flag is --name with '-' for '_'
  std::string_view help;
  // SageMaker users may set it as a hyperparameter. The launcher sets the
  // others itself (paths in the container, the rank map, TLS files).
  bool hyperparameter = false;
  bool required = false;
  double min = -std::numeric_limits<double>::infinity();  // numbers: the accepted range
  double max = std::numeric_limits<double>::infinity();
  std::string_view unit = {};   // printed after the range ("seconds")
  std::string_view alias = {};  // an earlier name, still accepted
  // A path in which "{host}" becomes the rank's host (expand_host_paths), so
  // that one command line serves every host.
  bool host_path = false;

  constexpr OptionInfo sagemaker() const {
    return with([](OptionInfo& row) { row.hyperparameter = true; });
  }
  constexpr OptionInfo needed() const {
    return with([](OptionInfo& row) { row.required = true; });
  }
  constexpr OptionInfo range(double low, double high = std::numeric_limits<double>::infinity(),
                             std::string_view in = {}) const {
    return with([&](OptionInfo& row) { row.min = low, row.max = high, row.unit = in; });
  }
  constexpr OptionInfo formerly(std::string_view earlier) const {
    return with([&](OptionInfo& row) { row.alias = earlier; });
  }
  constexpr OptionInfo per_host() const {
    return with([](OptionInfo& row) { row.host_path = true; });
  }

 private:
  // A copy of this row with `set` applied: the modifiers above.
  template <class Set>
  constexpr OptionInfo with(Set set) const {
    OptionInfo row = *this;
    set(row);
    return row;
  }
};

constexpr OptionInfo option(std::string_view name, std::string_view help) { return {.name = name, .help = help}; }

// Bounds: far beyond any sensible job, yet small enough that sizes derived
// from them cannot overflow.
inline constexpr double kMinTimeoutSeconds = 0.001;
inline constexpr double kMaxTimeoutSeconds = 1e6;  // 11.6 days
inline constexpr int kMaxK = 1 << 20;              // results per row
inline constexpr int kMaxTile = 16384;             // a float64 tile of 16384^2 scores is 2 GiB
inline constexpr int kMaxProcessesPerHost = 4096;  // far above any instance's CPU count

// Calls visit(info, field) for every option, in help order (JobConfig or
// const JobConfig). long: one table, one entry per option, kept whole.
template <class Config, class Visit>
void visit_job_options(Config& c, Visit&& visit) {
  visit(option("input",
               "Input matrix: a 2-D .npy (float16, float32 or float64), a .csv, or a folder of them stacked "
               "in natural name order")
            .needed()
            .per_host(),
        c.input);
  visit(option("out", "Output folder (created if missing; one job at a time holds it)").needed().per_host(), c.out);
  visit(option("ids",
               "Row ids in row order: a text file (one per line), or a 1-D .npy of integers or strings; writes "
               "the id table ids.txt (ids.npy for integers), id columns in pairs.csv, and neighbor_ids.npy for "
               "integer ids")
            .per_host(),
        c.ids);
  visit(option("queries",
               "Query rows (formats as --input, any number of rows, the same width): each query's top-k "
               "or pairs above --threshold among the --input rows (the corpus), instead of all pairs "
               "within --input (docs/queries.md)")
            .per_host(),
        c.queries);
  visit(option("query_ids",
               "Ids of the --queries rows in row order, as --ids; writes the id table query_ids.txt "
               "(query_ids.npy for integers) and the query's id column in pairs.csv")
            .per_host(),
        c.query_ids);
  visit(option("id_matrix",
               "With string --ids, also write neighbor_ids.npy (n x k fixed-width unicode, often 30x "
               "neighbors.npy; without it, ids.txt[neighbors] gives the same)")
            .sagemaker(),
        c.id_matrix);
  visit(option("csv_header",
               "Whether a CSV's first line is a header: auto (when a field after the first is not a "
               "number, the first is empty, or the fields are the integers 0..d-1 or 1..d as pandas "
               "names columns), yes or no (see docs/input.md)")
            .sagemaker(),
        c.csv_header);
  visit(option("csv_index_col",
               "A CSV's first column is row ids (pandas' index), not a feature: it is dropped from "
               "the features and, without --ids and --sharded, gives the row ids as --ids would "
               "(found without the flag where pandas' header or a column of words marks it)")
            .sagemaker(),
        c.csv_index_col);
  visit(option("mode", "What to write: each row's k nearest rows, every pair above a threshold, or the whole matrix")
            .sagemaker(),
        c.mode);
  visit(option("score",
               "Pair score: cosine, or dot (the inner product of the rows as given, no normalisation; a "
               "zero row scores 0)")
            .sagemaker(),
        c.score);
  visit(option("k", "Neighbours per row in topk mode").sagemaker().range(1, kMaxK), c.k);
  visit(option("threshold", "Minimum score in threshold mode").sagemaker(), c.threshold);
  visit(option("dtype", "Compute precision (scores are written as float32)").sagemaker(), c.dtype);
  visit(option("device", "Where tiles are computed").sagemaker(), c.device);
  visit(option("precision",
               "GEMM precision of cosine topk and threshold jobs: candidates from a fast GEMM with a "
               "proven error bound, decided on exact scores, so results are the same whichever (docs/precision.md); "
               "auto: bfloat16 where oneDNN runs it natively (AVX512_BF16, AMX) or the GPU has bfloat16 tensor "
               "cores, else float32; tf32: --device cuda only")
            .sagemaker(),
        c.precision);
  visit(option("transport",
               "How row blocks travel between ranks (tls: with --tls-ca/--tls-cert/--tls-key or "
               "--tls-ephemeral)")
            .sagemaker(),
        c.transport);
  visit(option("bind",
               "ADDR|IFACE|HOST[:PORT] the tcp/tls transports listen on (default: loopback on one machine, "
               "else the host name's address)"),
        c.bind);
  visit(option("advertise", "ADDR:PORT peers should connect to instead of the bound address (NAT, port forwarding)"),
        c.advertise);
  visit(option("tls_ca", "Job CA certificate (PEM)").per_host(), c.tls_ca);
  visit(option("tls_cert", "This host's certificate (PEM)").per_host(), c.tls_cert);
  visit(option("tls_key", "This host's private key (PEM)").per_host(), c.tls_key);
  visit(option("tls_ephemeral", "Generate a throwaway CA and certificates at start-up"), c.tls_ephemeral);
  visit(option("tls_ciphersuites", "TLS 1.3 cipher suites").sagemaker(), c.tls_ciphersuites);
  visit(option("tls_crypto",
               "Who seals TLS records: OpenSSL, handing them to the kernel (kTLS) where both offer it "
               "(auto), or OpenSSL in user space only (openssl)")
            .sagemaker(),
        c.tls_crypto);
  visit(option("encrypt",
               "With --transport tls: encrypt every edge (all), or only edges between hosts, leaving ranks "
               "of one host in plain TCP as SageMaker's inter-container encryption does (inter-host; hosts "
               "from --hosts, else the machines MPI sees)")
            .sagemaker(),
        c.encrypt);
  visit(option("tls_pipelining",
               "With --transport tls: send and receive on a thread of their own per edge while the connection's "
               "thread seals and opens (on), or seal then send and read then open on the connection's thread "
               "(off); auto: on where the rank may run on 2 cores or more and its machine has 2 or more per "
               "rank on it, so the threads have cores to run on (docs/performance.md)")
            .sagemaker(),
        c.tls_pipelining);
  visit(option("balance",
               "Rows per rank: even, or in proportion to each rank's tile rate measured for 0.3 s at "
               "start-up (measured: for unequal or throttled cores; replicated input without "
               "--checkpoint-dir)")
            .sagemaker(),
        c.balance);
  visit(option("tile",
               "Tile edge in rows: one GEMM per tile of a grid over the whole matrix, and rows are shared out "
               "in whole tiles, so scores are bit-identical for any rank count, balance and transport with "
               "replicated input (memory per tile is tile^2 scores)")
            .sagemaker()
            .range(1, kMaxTile),
        c.tile);
  visit(option("timeout", "Seconds to wait for a peer before failing")
            .sagemaker()
            .range(kMinTimeoutSeconds, kMaxTimeoutSeconds, "seconds"),
        c.timeout);
  visit(option("max_output_bytes",
               "Largest output (all result files) a job may write; threshold mode estimates it before computing")
            .sagemaker()
            .range(1)
            .formerly("max_full_bytes"),
        c.max_output_bytes);
  visit(option("sharded", "Each rank's --input holds only its own rows (in rank order)"), c.sharded);
  visit(option("quiet", "No name=value summary on stdout"), c.quiet);
  visit(option("hash_inputs",
               "Record each input file's SHA-256 in report.json (reads every input file once more; path, "
               "size and modification time are always recorded)")
            .sagemaker(),
        c.hash_inputs);
  visit(option("hosts", "Place ranks on these hosts (comma separated; natural order, contiguous per host)"), c.hosts);
  visit(option("processes_per_host", "Ranks per host with --hosts").range(1, kMaxProcessesPerHost),
        c.processes_per_host);
  visit(option("check_hosts",
               "Fail unless each rank's host name is the host the map gives it, and ranks that share "
               "a machine share a host"),
        c.check_hosts);
  visit(option("resource_config",
               "Like --check-hosts, but each rank's host is current_host in this "
               "resourceconfig.json as its own host sees it, not its host name (SageMaker: every "
               "host is called aws)"),
        c.resource_config);
  visit(option("failure_file", "Write the failure reason here if the job fails").per_host(), c.failure_file);
  visit(option("checkpoint_dir", "Save partial results after ring steps and resume from them when rerun").per_host(),
        c.checkpoint_dir);
  visit(option("checkpoint_key_file",
               "A secret file every host has (the launcher uses the leader's key in the "
               "certificate channel): checkpoints carry an HMAC keyed from it, and a changed "
               "or forged file is refused")
            .per_host(),
        c.checkpoint_key_file);
  visit(option("checkpoint_every", "Save after every N-th ring step (and the last)").sagemaker().range(1, 1 << 20),
        c.checkpoint_every);
  visit(option("progress_seconds",
               "Seconds between rank 0's progress lines: step, share of the job done (all ranks), ETA, "
               "GFLOP/s, the slowest rank; then the share written (0: none)")
            .sagemaker()
            .range(0, 1e6, "seconds"),
        c.progress_seconds);
}

// How messages name an option: the command line's "--max-output-bytes" or
// SageMaker's "hyperparameter 'max_output_bytes'".
enum class OptionNaming { flags, hyperparameters };
std::string flag_of(const OptionInfo& info);     // "--max-output-bytes"
std::string alias_flag(const OptionInfo& info);  // "--max-full-bytes"; empty without an alias
std::string display_name(const OptionInfo& info, OptionNaming naming);
// The help the command line prints and docs/options.md shows: the table's,
// and for a per-host path, that {host} is replaced.
std::string help_text(const OptionInfo& info);
// "{host}" replaced with `host` in every per-host path option of `config`.
void expand_host_paths(JobConfig& config, const std::string& host);

// Text -> value, the same for the command line and hyperparameters: the
// whole text must be the value (no blanks, no "10 ", no "1.5" for an
// integer, finite numbers only); bools are true/false/1/0; lists are comma
// separated. Throws InputError naming `display`. Ranges are check_job_config's.
void parse_option(std::string_view text, std::string& field, const std::string& display);
void parse_option(std::string_view text, bool& field, const std::string& display);
void parse_option(std::string_view text, int& field, const std::string& display);
void parse_option(std::string_view text, std::int64_t& field, const std::string& display);
void parse_option(std::string_view text, double& field, const std::string& display);
void parse_option(std::string_view text, std::vector<std::string>& field, const std::string& display);
void parse_choice(std::string_view text, std::span<const std::string_view> names, int& index,
                  const std::string& display);
template <class Enum>
requires std::is_enum_v<Enum>
void parse_option(std::string_view text, Enum& field, const std::string& display) {
  int index = 0;
  parse_choice(text, choice_names(Enum{}), index, display);
  field = static_cast<Enum>(index);
}

// The default (or current) value as the command line would take it.
std::string option_text(const std::string& field);
std::string option_text(bool field);
std::string option_text(int field);
std::string option_text(std::int64_t field);
std::string option_text(double field);
std::string option_text(const std::vector<std::string>& field);
template <class Enum>
requires std::is_enum_v<Enum> std::string option_text(Enum field) { return to_string(field); }

// The choices of an enum option, "a | b | c"; empty for other types.
template <class Field>
std::string choices_text(const Field&, std::string_view separator = " | ") {
  if constexpr (std::is_enum_v<Field>) {
    std::string text;
    for (const auto name : choice_names(Field{}))
      text += (text.empty() ? "" : std::string(separator)) + std::string(name);
    return text;
  } else {
    return {};
  }
}

// Sets the hyperparameter `key` (a name or alias of an option SageMaker
// users may set) from `text` and returns the option's flag ("--k"); empty
// when no such option exists.
std::string set_hyperparameter(JobConfig& config, std::string_view key, std::string_view text);
// The names SageMaker users may set, in table order.
std::vector<std::string> hyperparameter_names();
// Whether `flag` ("--id-matrix") is a switch (a bool option): on a command
// line it takes its value as "--id-matrix=false", never as a word of its own.
bool is_switch_flag(std::string_view flag);

// Everything one rank can check alone, before any rank starts work: ranges,
// required options (command line only), URLs where paths belong, --bind and
// --advertise, a device this build has. Throws InputError naming the first
// option at fault.
void check_job_config(const JobConfig& config, OptionNaming naming = OptionNaming::flags);

// The table as Markdown (`ringsim options`, docs/options.md): flag,
// hyperparameter, default, accepted values, meaning.
std::string job_options_markdown();

// "s3://bucket/x", "https://host/y", any "scheme://": ringsim reads and
// writes local paths only.
bool looks_like_url(const std::string& path);

}  // namespace ringsim

#include "common/job_config.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "common/socket.hpp"

namespace ringsim {

namespace {

constexpr std::array<std::string_view, 3> kModeNames = {"topk", "threshold", "full"};
constexpr std::array<std::string_view, 3> kTransportNames = {"mpi", "tcp", "tls"};
constexpr std::array<std::string_view, 2> kDtypeNames = {"float32", "float64"};
// A build without CUDA does not offer it: --device cuda is then an unknown
// value (Device::cuda stays in the enum for the engine's sake).
#ifdef RINGSIM_WITH_CUDA
constexpr std::array<std::string_view, 2> kDeviceNames = {"cpu", "cuda"};
#else
constexpr std::array<std::string_view, 1> kDeviceNames = {"cpu"};
#endif
constexpr std::array<std::string_view, 4> kPrecisionNames = {"auto", "float32", "bfloat16", "tf32"};
constexpr std::array<std::string_view, 2> kTlsCryptoNames = {"auto", "openssl"};
constexpr std::array<std::string_view, 2> kBalanceNames = {"even", "measured"};
constexpr std::array<std::string_view, 2> kEncryptNames = {"all", "inter-host"};
constexpr std::array<std::string_view, 3> kTlsPipeliningNames = {"auto", "on", "off"};
constexpr std::array<std::string_view, 3> kCsvHeaderNames = {"auto", "yes", "no"};
constexpr std::array<std::string_view, 2> kScoreNames = {"cosine", "dot"};

template <class Integer>
void parse_integer(std::string_view text, Integer& field, const std::string& display) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars refuses a plus sign; JSON users write none
  Integer value{};
  const auto [rest, error] = std::from_chars(begin, end, value);
  if (begin == end || rest != end || error == std::errc::invalid_argument)
    throw InputError(fmt::format("{} must be an integer, got '{}'", display, text));
  if (error == std::errc::result_out_of_range)
    throw InputError(fmt::format("{} is out of range, got '{}'", display, text));
  field = value;
}

std::string number_text(double value) { return fmt::format("{}", value); }

void check_range(const OptionInfo& info, double value, const std::string& value_text, OptionNaming naming) {
  // Written so that NaN fails too (every comparison with NaN is false).
  if (value >= info.min && value <= info.max) return;
  const std::string unit = info.unit.empty() ? "" : " " + std::string(info.unit);
  if (std::isinf(info.max))
    throw InputError(
        fmt::format("{} must be >= {}{}, got {}", display_name(info, naming), number_text(info.min), unit, value_text));
  throw InputError(fmt::format("{} must be between {} and {}{}, got {}", display_name(info, naming),
                               number_text(info.min), number_text(info.max), unit, value_text));
}

void refuse_url(const std::string& option, const std::string& path, const std::string& sagemaker_hint) {
  if (looks_like_url(path))
    throw InputError(option + " '" + path + "' is a URL; ringsim reads and writes local paths only (on SageMaker " +
                     sagemaker_hint + ")");
}

}  // namespace

std::span<const std::string_view> choice_names(Mode) { return kModeNames; }
std::span<const std::string_view> choice_names(TransportKind) { return kTransportNames; }
std::span<const std::string_view> choice_names(Dtype) { return kDtypeNames; }
std::span<const std::string_view> choice_names(Device) { return kDeviceNames; }
std::span<const std::string_view> choice_names(Precision) { return kPrecisionNames; }
std::span<const std::string_view> choice_names(TlsCrypto) { return kTlsCryptoNames; }
std::span<const std::string_view> choice_names(Balance) { return kBalanceNames; }
std::span<const std::string_view> choice_names(Encrypt) { return kEncryptNames; }
std::span<const std::string_view> choice_names(TlsPipelining) { return kTlsPipeliningNames; }
std::span<const std::string_view> choice_names(CsvHeader) { return kCsvHeaderNames; }
std::span<const std::string_view> choice_names(Score) { return kScoreNames; }

namespace {

std::string flag_named(std::string_view name) {
  std::string flag = "--" + std::string(name);
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

}  // namespace

std::string flag_of(const OptionInfo& info) { return flag_named(info.name); }

std::string alias_flag(const OptionInfo& info) { return info.alias.empty() ? "" : flag_named(info.alias); }

std::string display_name(const OptionInfo& info, OptionNaming naming) {
  return naming == OptionNaming::flags ? flag_of(info) : "hyperparameter '" + std::string(info.name) + "'";
}

std::string help_text(const OptionInfo& info) {
  std::string help(info.help);
  if (!info.host_path) return help;
  // Inside a closing parenthesis where the help ends with one: "(PEM; {host} is replaced)".
  return help.ends_with(')') ? help.insert(help.size() - 1, "; {host} is replaced") : help + " ({host} is replaced)";
}

void expand_host_paths(JobConfig& config, const std::string& host) {
  visit_job_options(config, [&host](const OptionInfo& info, auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>)
      if (info.host_path) field = expand_host(field, host);
  });
}

void parse_option(std::string_view text, std::string& field, const std::string&) { field = text; }

void parse_option(std::string_view text, bool& field, const std::string& display) {
  if (text == "true" || text == "True" || text == "1") {
    field = true;
  } else if (text == "false" || text == "False" || text == "0") {
    field = false;
  } else {
    throw InputError(fmt::format("{} must be true or false, got '{}'", display, text));
  }
}

void parse_option(std::string_view text, int& field, const std::string& display) {
  parse_integer(text, field, display);
}

void parse_option(std::string_view text, std::int64_t& field, const std::string& display) {
  parse_integer(text, field, display);
}

void parse_option(std::string_view text, double& field, const std::string& display) {
  const std::string copy(text);
  // strtod skips leading blanks and stops early; the whole text must be the number.
  char* end = nullptr;
  const double value = copy.empty() || std::isspace(static_cast<unsigned char>(copy.front()))
                           ? std::nan("")
                           : std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value))
    throw InputError(fmt::format("{} must be a finite number, got '{}'", display, text));
  field = value;
}

void parse_option(std::string_view text, std::vector<std::string>& field, const std::string&) {
  field.clear();
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    if (comma > start) field.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
}

void parse_choice(std::string_view text, std::span<const std::string_view> names, int& index,
                  const std::string& display) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (text == names[i]) {
      index = static_cast<int>(i);
      return;
    }
    list += (list.empty() ? "" : ", ") + std::string(names[i]);
  }
  throw InputError(fmt::format("{} must be one of {}, got '{}'", display, list, text));
}

std::string option_text(const std::string& field) { return field; }
std::string option_text(bool field) { return field ? "true" : "false"; }
std::string option_text(int field) { return std::to_string(field); }
std::string option_text(std::int64_t field) { return std::to_string(field); }
std::string option_text(double field) { return number_text(field); }
std::string option_text(const std::vector<std::string>& field) {
  std::string text;
  for (const auto& item : field) text += (text.empty() ? "" : ",") + item;
  return text;
}

std::string set_hyperparameter(JobConfig& config, std::string_view key, std::string_view text) {
  std::string flag;
  visit_job_options(config, [&](const OptionInfo& info, auto& field) {
    if (!flag.empty() || !info.hyperparameter || (key != info.name && key != info.alias)) return;
    flag = flag_of(info);
    OptionInfo named = info;
    named.name = key;  // an error names the key the user wrote
    parse_option(text, field, display_name(named, OptionNaming::hyperparameters));
  });
  return flag;
}

std::vector<std::string> hyperparameter_names() {
  std::vector<std::string> names;
  JobConfig config;
  visit_job_options(config, [&](const OptionInfo& info, auto&) {
    if (info.hyperparameter) names.emplace_back(info.name);
  });
  return names;
}

bool is_switch_flag(std::string_view flag) {
  bool is_switch = false;
  JobConfig config;
  visit_job_options(config, [&](const OptionInfo& info, auto& field) {
    if (flag_of(info) == flag) is_switch = std::is_same_v<std::decay_t<decltype(field)>, bool>;
  });
  return is_switch;
}

void check_job_config(const JobConfig& config, OptionNaming naming) {
  visit_job_options(config, [&](const OptionInfo& info, const auto& field) {
    using Field = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<Field, int> || std::is_same_v<Field, std::int64_t> || std::is_same_v<Field, double>) {
      if (std::is_same_v<Field, double> && !std::isfinite(static_cast<double>(field)))
        throw InputError(fmt::format("{} must be a finite number, got {}", display_name(info, naming), field));
      check_range(info, static_cast<double>(field), option_text(field), naming);
    } else if constexpr (std::is_same_v<Field, std::string>) {
      // The launcher sets the required paths itself.
      if (info.required && field.empty() && naming == OptionNaming::flags)
        throw InputError(display_name(info, naming) + " is required");
    }
  });
  refuse_url("--input", config.input, "give the data as an input channel and --input its folder");
  refuse_url("--out", config.out, "write to the model folder, /opt/ml/model, which SageMaker uploads");
  if (!config.bind.empty()) split_host_port(config.bind, "--bind");
  if (!config.advertise.empty() && !split_host_port(config.advertise, "--advertise").port)
    throw InputError("--advertise '" + config.advertise + "': expected ADDR:PORT");
  if (config.balance == Balance::measured && config.sharded)
    throw InputError("--balance measured needs replicated input: with --sharded each rank's files fix its rows");
  if (config.balance == Balance::measured && !config.checkpoint_dir.empty())
    throw InputError(
        "--balance measured cannot resume from --checkpoint-dir: a rerun must cut the rows exactly as the first run "
        "did, so checkpointed jobs share rows evenly");
  if (!config.query_ids.empty() && config.queries.empty())
    throw InputError("--query-ids names query rows, but no --queries were given");
  if (!config.queries.empty() && config.mode == Mode::full)
    throw InputError(
        "--mode full with --queries is not offered: use --mode topk with --k up to the corpus rows, or --threshold");
  if (config.device == Device::cuda && config.balance == Balance::measured)
    throw InputError(fmt::format("{} cuda shares rows evenly: --balance measured times this core's CPU tiles",
                                 naming == OptionNaming::flags ? "--device" : "hyperparameter 'device'"));
  if (config.precision == Precision::bfloat16 || config.precision == Precision::tf32) {
    const std::string name =
        fmt::format("{} {}", naming == OptionNaming::flags ? "--precision" : "hyperparameter 'precision'",
                    config.precision == Precision::tf32 ? "tf32" : "bfloat16");
    if (config.dtype == Dtype::float64) throw InputError(name + " is for --dtype float32 jobs");
    if (config.score == Score::dot)
      throw InputError(name + " needs --score cosine (the error bound is one of unit rows)");
    if (config.mode == Mode::full)
      throw InputError(name + " is for topk and threshold: --mode full writes every score in float32");
    if (config.precision == Precision::tf32 && config.device == Device::cpu)
      throw InputError(name + " runs on a GPU (--device cuda)");
  }
}

std::string job_options_markdown() {
  std::string text =
      "| option | hyperparameter | default | values | meaning |\n"
      "|---|---|---|---|---|\n";
  const JobConfig defaults;
  visit_job_options(defaults, [&](const OptionInfo& info, const auto& field) {
    using Field = std::decay_t<decltype(field)>;
    std::string values = choices_text(field, ", ");
    if constexpr (std::is_same_v<Field, bool>) values = "flag";
    if constexpr (std::is_same_v<Field, int> || std::is_same_v<Field, std::int64_t> || std::is_same_v<Field, double>) {
      const std::string unit = info.unit.empty() ? "" : " " + std::string(info.unit);
      values = std::is_same_v<Field, double> ? "number" : "integer";
      if (std::isfinite(info.max))
        values += fmt::format(" from {} to {}{}", number_text(info.min), number_text(info.max), unit);
      else if (std::isfinite(info.min))
        values += fmt::format(" >= {}{}", number_text(info.min), unit);
    }
    std::string flag = "`" + flag_of(info) + "`";
    if (!info.alias.empty()) flag += " (or `" + alias_flag(info) + "`)";
    const std::string hyperparameter = info.hyperparameter ? "`" + std::string(info.name) + "`" : "";
    std::string value = option_text(field);
    if constexpr (std::is_same_v<Field, bool>) value = "off";
    value = info.required ? "required" : value.empty() ? "" : "`" + value + "`";
    std::string help = help_text(info);
    for (std::size_t bar = help.find('|'); bar != std::string::npos; bar = help.find('|', bar + 2))
      help.replace(bar, 1, "\\|");
    text += fmt::format("| {} | {} | {} | {} | {} |\n", flag, hyperparameter, value, values, help);
  });
  return text;
}

bool looks_like_url(const std::string& path) {
  // RFC 3986 scheme: a letter, then letters, digits, '+', '-', '.'.
  const auto colon = path.find("://");
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(path[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace ringsim

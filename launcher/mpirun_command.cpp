#include "launcher/mpirun_command.hpp"

#include <map>

#include "common/errors.hpp"

namespace ringsim {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < text.size())
        word += text[++i];
      else
        word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw ConfigError("mpi_options has an unterminated quote: " + text);
  if (in_word) words.push_back(word);
  return words;
}

namespace {

struct OptionGroup {
  std::string key;
  std::vector<std::string> words;
};

std::vector<OptionGroup> group_options(const std::vector<std::string>& words) {
  static const std::map<std::string, int> arity = {
      {"-mca", 2},      {"--mca", 2},  {"-x", 1}, {"--bind-to", 1}, {"--map-by", 1},
      {"--rank-by", 1}, {"-np", 1},    {"-n", 1}, {"--np", 1},      {"--hostfile", 1},
      {"-hostfile", 1}, {"--host", 1}, {"-H", 1}, {"--prefix", 1},  {"--output-filename", 1}};
  std::vector<OptionGroup> groups;
  for (std::size_t i = 0; i < words.size();) {
    const std::string& option = words[i];
    if (option.empty() || option[0] != '-') throw ConfigError("mpi_options: expected an option, got '" + option + "'");
    int count = 0;
    if (const auto it = arity.find(option); it != arity.end())
      count = it->second;
    else if (i + 1 < words.size() && !words[i + 1].empty() && words[i + 1][0] != '-')
      count = 1;
    if (count > 0 && i + static_cast<std::size_t>(count) >= words.size())
      throw ConfigError("mpi_options: '" + option + "' needs " + std::to_string(count) + " value(s)");
    OptionGroup group;
    group.words.assign(words.begin() + static_cast<long>(i), words.begin() + static_cast<long>(i + 1 + count));
    std::string name = option;
    if (name == "--mca") name = "-mca";
    if (name == "-n" || name == "--np") name = "-np";
    if (name == "-hostfile") name = "--hostfile";
    if (name == "-mca")
      group.key = "-mca " + words[i + 1];
    else if (name == "-x")
      group.key = "-x " + words[i + 1].substr(0, words[i + 1].find('='));
    else
      group.key = name;
    groups.push_back(std::move(group));
    i += 1 + static_cast<std::size_t>(count);
  }
  return groups;
}

}  // namespace

std::vector<std::string> merge_mpi_options(const std::vector<std::string>& defaults,
                                           const std::vector<std::string>& user) {
  const auto user_groups = group_options(user);
  std::vector<std::string> merged;
  for (const auto& group : group_options(defaults)) {
    bool overridden = false;
    for (const auto& mine : user_groups) overridden |= mine.key == group.key;
    if (!overridden) merged.insert(merged.end(), group.words.begin(), group.words.end());
  }
  for (const auto& group : user_groups) merged.insert(merged.end(), group.words.begin(), group.words.end());
  return merged;
}

namespace {

// The options of a job across hosts: TCP on the job's interface, lost
// hosts noticed within seconds, and ssh's logins to the job's hosts.
std::vector<std::string> multi_host_options(const MpirunRequest& request) {
  std::vector<std::string> options;
  for (const char* key : {"btl_tcp_if_include", "oob_tcp_if_include"}) {
    options.push_back("-mca");
    options.push_back(key);
    options.push_back(request.network_interface);
  }
  // A host that drops off the network (link down, instance lost) must end
  // the job within seconds, not minutes. mpirun's only link to a worker's
  // daemon (orted daemonises; its ssh session ends after the launch) is
  // the out-of-band TCP connection, whose keepalive defaults to 300 s idle
  // + 9 x 20 s probes: mpirun noticed a lost host after 480 s and hung in
  // its abort until then. 10 s + 3 x 5 s notices it in about 25 s, and the
  // orted on the far side likewise ends its ranks. ssh itself gives up
  // after 10 s on a host that does not answer at launch.
  // Host keys are not checked, for these logins only (mpirun logs in to
  // the job's hosts and no others): each container makes fresh host keys
  // at start, which no one could have recorded; the job's key is what the
  // workers check, and it is usable only from the leader's address.
  std::string ssh_args =
      "-o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o BatchMode=yes "
      "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";
  if (!request.ssh_identity.empty()) ssh_args += " -i " + request.ssh_identity;
  options.insert(options.end(), {"-mca", "oob_tcp_keepalive_time", "10", "-mca", "oob_tcp_keepalive_intvl", "5", "-mca",
                                 "oob_tcp_keepalive_probes", "3", "-mca", "plm_rsh_args", ssh_args});
  return options;
}

// mpirun's options before the user's (merge_mpi_options).
std::vector<std::string> default_mpi_options(const MpirunRequest& request) {
  // The container needs: run as root, no CMA (unprivileged), TCP on the job's
  // interface, no tree spawn (workers cannot ssh to each other first),
  // by-slot mapping so ranks are contiguous per host, and the job torn down
  // as soon as one rank fails.
  std::vector<std::string> defaults = {"--allow-run-as-root",
                                       "--tag-output",
                                       "--bind-to",
                                       "none",
                                       "--map-by",
                                       "slot",
                                       "-mca",
                                       "pml",
                                       "ob1",
                                       "-mca",
                                       "btl_vader_single_copy_mechanism",
                                       "none",
                                       "-mca",
                                       "orte_abort_on_non_zero_status",
                                       "1",
                                       "-mca",
                                       "plm_rsh_no_tree_spawn",
                                       "1"};
  std::vector<std::string> exported = request.exported_variables;
  if (!request.hostname_shim.empty()) {
    exported.insert(exported.end(), {"LD_PRELOAD", "RINGSIM_RESOURCE_CONFIG"});
    // The workers' daemons too: two orteds that both report the node name
    // "aws" left mpirun waiting forever now and then (3 hosts, netns bed).
    defaults.insert(defaults.end(), {"-mca", "orte_launch_agent",
                                     "env LD_PRELOAD=" + request.hostname_shim +
                                         " RINGSIM_RESOURCE_CONFIG=" + request.resource_config + " orted"});
  }
  for (const auto& variable : exported) {
    defaults.push_back("-x");
    defaults.push_back(variable);
  }
  if (request.local) {
    defaults.push_back("--oversubscribe");
  } else {
    const auto across_hosts = multi_host_options(request);
    defaults.insert(defaults.end(), across_hosts.begin(), across_hosts.end());
  }
  return defaults;
}

}  // namespace

MpirunPlan plan_mpirun(const MpirunRequest& request) {
  RINGSIM_ENFORCE(request.ranks != nullptr, "no rank map");
  const RankMap& ranks = *request.ranks;
  MpirunPlan plan;
  if (request.local) {
    plan.hostfile = "localhost slots=" + std::to_string(ranks.ranks()) + "\n";
  } else {
    for (const auto& host : ranks.hosts()) plan.hostfile += host.host + " slots=" + std::to_string(host.ranks) + "\n";
  }
  // Every host's containers say "aws": mpirun and the ranks take their node
  // names from the shim instead (hostname_shim.cpp says why both need it).
  if (!request.hostname_shim.empty()) {
    const std::string preload =
        request.hostname_shim + (request.inherited_preload.empty() ? "" : ":" + request.inherited_preload);
    plan.argv = {"env", "LD_PRELOAD=" + preload, "RINGSIM_RESOURCE_CONFIG=" + request.resource_config};
  }
  plan.hostfile_path = request.hostfile_path;
  plan.argv.insert(plan.argv.end(),
                   {"mpirun", "--hostfile", request.hostfile_path, "-np", std::to_string(ranks.ranks())});
  const auto options = merge_mpi_options(default_mpi_options(request), split_words(request.user_options));
  plan.argv.insert(plan.argv.end(), options.begin(), options.end());
  plan.argv.insert(plan.argv.end(), request.rank_command.begin(), request.rank_command.end());
  return plan;
}

}  // namespace ringsim

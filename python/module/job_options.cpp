#include "python/module/job_options.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"

namespace ringsim {

RunOptions job_options(const std::map<std::string, std::string>& named) {
  RunOptions options;
  for (const auto& [name, text] : named) {
    bool known = false;
    visit_job_options(static_cast<JobConfig&>(options), [&](const OptionInfo& info, auto& field) {
      if (known || (name != info.name && name != info.alias)) return;
      known = true;
      parse_option(text, field, fmt::format("keyword '{}'", name));
    });
    if (!known)
      throw InputError(
          fmt::format("unknown keyword '{}': ringsim takes the options of `ringsim run` (docs/options.md) "
                      "with '_' for '-', e.g. max_output_bytes",
                      name));
  }
  options.quiet = true;  // no name=value summary on the caller's stdout
  return options;
}

}  // namespace ringsim

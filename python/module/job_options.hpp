#pragma once
// Python keyword arguments -> the job's settings, through the one table of
// job options (common/job_config.hpp): the names, parsing and ranges of
// `ringsim run`'s flags, so an option added there is offered here too.
#include <map>
#include <string>

#include "engine/run_options.hpp"

namespace ringsim {

// `named`: option name (the hyperparameter spelling, "max_output_bytes", or
// its former name) -> the value as text (bools "true"/"false", lists comma
// separated: python/ringsim/_in_process.py writes them so). Throws
// InputError naming the keyword for an unknown name or a value that does not
// parse; ranges are checked by the job itself, as for the command line.
RunOptions job_options(const std::map<std::string, std::string>& named);

}  // namespace ringsim

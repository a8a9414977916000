#include "launcher/hyperparameter_environment.hpp"

#include <stdlib.h>

extern char** environ;

namespace ringsim {

bool carries_hyperparameters(const std::string& name) {
  return name == "SM_HPS" || name.rfind("SM_HP_", 0) == 0 || name == "SM_TRAINING_ENV" || name == "SM_USER_ARGS";
}

std::vector<std::string> remove_hyperparameter_variables() {
  // Names first: unsetenv changes environ under a loop over it.
  std::vector<std::string> names;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text(*entry);
    const std::string name = text.substr(0, text.find('='));
    if (carries_hyperparameters(name)) names.push_back(name);
  }
  for (const auto& name : names) ::unsetenv(name.c_str());
  return names;
}

}  // namespace ringsim

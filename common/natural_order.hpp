#pragma once
#include <string>
#include <vector>

namespace ringsim {

// "Natural" order: digit runs compare as numbers, so algo-2 < algo-10 and
// algo-1-x7k2p < algo-2-abcde; ties fall back to plain byte order so the
// order is total and every host computes the same one.
bool natural_less(const std::string& a, const std::string& b);
std::vector<std::string> natural_sorted(std::vector<std::string> names);

}  // namespace ringsim

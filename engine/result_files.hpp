#pragma once
// The names of the files a job writes into --out, in one table: the modes and
// publish_results write them by these names, publish_results removes the
// ones a job did not write (another mode's results left in a reused --out
// would read as this job's), and docs/outputs.md's table lists exactly
// these (tests/engine/test_result_files.cpp).
#include <array>

namespace ringsim::result_files {

inline constexpr const char* kNeighbors = "neighbors.npy";       // topk
inline constexpr const char* kScores = "scores.npy";             // topk
inline constexpr const char* kNeighborIds = "neighbor_ids.npy";  // topk with ids
inline constexpr const char* kPairsCsv = "pairs.csv";            // threshold
inline constexpr const char* kPairsNpy = "pairs.npy";            // threshold
inline constexpr const char* kSimilarity = "similarity.npy";     // full
inline constexpr const char* kIdsNpy = "ids.npy";                // integer ids
inline constexpr const char* kIdsTxt = "ids.txt";                // string ids
inline constexpr const char* kQueryIdsNpy = "query_ids.npy";     // integer query ids
inline constexpr const char* kQueryIdsTxt = "query_ids.txt";     // string query ids
inline constexpr const char* kRows = "rows.json";                // always
inline constexpr const char* kReport = "report.json";            // always

inline constexpr std::array kAll = {kNeighbors, kScores, kNeighborIds, kPairsCsv,    kPairsNpy, kSimilarity,
                                    kIdsNpy,    kIdsTxt, kQueryIdsNpy, kQueryIdsTxt, kRows,     kReport};

}  // namespace ringsim::result_files

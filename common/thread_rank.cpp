#include "common/thread_rank.hpp"

namespace ringsim {

namespace {
thread_local ThreadRank* t_rank = nullptr;
}  // namespace

ThreadRank* this_thread_rank() { return t_rank; }

ThreadRankScope::ThreadRankScope(ThreadRank& rank) : previous_(t_rank) { t_rank = &rank; }

ThreadRankScope::~ThreadRankScope() { t_rank = previous_; }

}  // namespace ringsim

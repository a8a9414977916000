// Hosts in natural order and the rank map built on it: which ranks each host
// runs (common/, shared by the launcher and the ranks).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/natural_order.hpp"
#include "common/rank_map.hpp"

using namespace ringsim;

TEST(NaturalOrder, NumbersCompareAsNumbers) {
  EXPECT_TRUE(natural_less("algo-2", "algo-10"));
  EXPECT_FALSE(natural_less("algo-10", "algo-2"));
  EXPECT_TRUE(natural_less("algo-1-x7k2p", "algo-2-abcde"));
  EXPECT_TRUE(natural_less("algo-9-zzzzz", "algo-10-aaaaa"));
  EXPECT_EQ(natural_sorted({"algo-10", "algo-2", "algo-1", "algo-11", "algo-3"}),
            (std::vector<std::string>{"algo-1", "algo-2", "algo-3", "algo-10", "algo-11"}));
  // Total order: equal numbers with different zero padding still differ.
  EXPECT_NE(natural_less("h01", "h1"), natural_less("h1", "h01"));
}

TEST(RankMap, ContiguousRanksPerHostInNaturalOrder) {
  const RankMap map({"algo-10", "algo-2", "algo-1"}, 2);
  EXPECT_EQ(map.ranks(), 6);
  EXPECT_EQ(map.host_of(0), "algo-1");
  EXPECT_EQ(map.host_of(1), "algo-1");
  EXPECT_EQ(map.host_of(2), "algo-2");
  EXPECT_EQ(map.host_of(5), "algo-10");
  EXPECT_EQ(map.local_rank(3), 1);
  EXPECT_EQ(map.host_index("algo-10"), 2);
  EXPECT_EQ(map.host_index("algo-7"), -1);
  EXPECT_EQ(map.table(), "rank 0-1 -> algo-1\nrank 2-3 -> algo-2\nrank 4-5 -> algo-10\n");
  EXPECT_THROW(RankMap({"a", "a"}, 1), ConfigError);
  EXPECT_THROW(RankMap({}, 1), ConfigError);
  EXPECT_THROW(RankMap({"a"}, 0), ConfigError);
}

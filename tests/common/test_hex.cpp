#include <gtest/gtest.h>

#include <vector>

#include "common/hex.hpp"

using namespace ringsim;

TEST(Hex, RoundTripsAndRefusesWhatIsNotHex) {
  const std::vector<unsigned char> bytes = {0x00, 0x0f, 0x5a, 0xa5, 0xf0, 0xff};
  EXPECT_EQ(to_hex(bytes), "000f5aa5f0ff");
  EXPECT_EQ(from_hex("000f5aa5f0ff"), bytes);
  EXPECT_EQ(from_hex("000F5AA5F0FF"), bytes);
  EXPECT_TRUE(from_hex("0g").empty());
  EXPECT_TRUE(from_hex("abc").empty());
  EXPECT_TRUE(from_hex("").empty());
}

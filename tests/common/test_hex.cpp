#include <gtest/gtest.h>

#include <vector>

#include "common/hex.hpp"

using namespace ringsim;

TEST(Hex, TwoLowerCaseDigitsPerByte) {
  const std::vector<unsigned char> bytes = {0x00, 0x0f, 0x5a, 0xa5, 0xf0, 0xff};
  EXPECT_EQ(to_hex(bytes), "000f5aa5f0ff");
  EXPECT_EQ(to_hex(std::vector<unsigned char>{}), "");
}

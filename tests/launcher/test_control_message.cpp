// The control channel's lines, parsed strictly (launcher/control_message).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "launcher/control_message.hpp"

using namespace ringsim;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {
const std::string kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ringsim-job";
}

TEST(ControlMessage, TheTwoMessagesParse) {
  const auto key = parse_control_message("RSIMKEY " + kKey);
  ASSERT_TRUE(std::holds_alternative<InstallKey>(key));
  EXPECT_EQ(std::get<InstallKey>(key).public_key, kKey);
  const auto ended = parse_control_message("RSIMEXIT 137 rank 3 (host algo-2) was killed");
  ASSERT_TRUE(std::holds_alternative<JobEnded>(ended));
  EXPECT_EQ(std::get<JobEnded>(ended).exit_code, 137);
  EXPECT_EQ(std::get<JobEnded>(ended).reason, "rank 3 (host algo-2) was killed");
  EXPECT_EQ(std::get<JobEnded>(parse_control_message("RSIMEXIT 0")).exit_code, 0);
}

// What a stranger on the control port tried: codes that are not codes, a key
// with options in front, a line without end, a message nobody defined.
TEST(ControlMessage, AnythingElseIsRefused) {
  for (const std::string line : {"RSIMEXIT abc", "RSIMEXIT 256", "RSIMEXIT 99999999999", "RSIMEXIT -1", "RSIMEXIT ",
                                 "RSIMEXIT 0x0", "RSIMEXIT 7forged"})
    EXPECT_THROW(parse_control_message(line), IoError) << line;
  EXPECT_THAT([] { parse_control_message("RSIMEXIT 256"); }, ThrowsMessage<IoError>(HasSubstr("over 255")));
  for (const std::string line : {"RSIMKEY command=\"sh\" " + kKey, std::string("RSIMKEY ssh-rsa AAAAB3NzaC1yc2E"),
                                 std::string("RSIMKEY ssh-ed25519 AAAA"), "RSIMKEY " + kKey + "\rssh-ed25519 x",
                                 "RSIMKEY " + kKey.substr(0, 40) + "*" + kKey.substr(41)})
    EXPECT_THROW(parse_control_message(line), IoError) << line;
  EXPECT_THAT([] { parse_control_message("HELLO"); }, ThrowsMessage<IoError>(HasSubstr("unknown control message")));
  EXPECT_THAT([] { parse_control_message("RSIMEXIT 1 " + std::string(kMaxControlLine, 'x')); },
              ThrowsMessage<IoError>(HasSubstr("longer than 4096 bytes")));
}

// Output safety: the --out lock, temporaries that cannot outlive their
// process, the stop handler, and error lines that keep the failing phase.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/atomic_file.hpp"
#include "common/output_lock.hpp"
#include "common/phase.hpp"
#include "common/stop_signal.hpp"
#include "tests/scratch_dir.hpp"

namespace ringsim {
namespace {

namespace fs = std::filesystem;

class OutputsTest : public ::testing::Test {
 protected:
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  testing::ScratchDir scratch_{"outputs"};
  std::string dir_ = scratch_.path().string();
};

TEST_F(OutputsTest, SecondLockOnAnOutputDirectoryNamesTheHolder) {
  OutputDirectoryLock first(dir_);
  EXPECT_THAT([&] { OutputDirectoryLock second(dir_); },
              ::testing::ThrowsMessage<IoError>(
                  ::testing::HasSubstr("in use by another ringsim job (process " + std::to_string(::getpid()) + ")")))
      << "a second lock on the same --out must be refused";
  EXPECT_EQ(entries(), 0u) << "the lock leaves no file";
}

TEST_F(OutputsTest, LockIsReleasedWithItsHolder) {
  { OutputDirectoryLock first(dir_); }
  EXPECT_NO_THROW(OutputDirectoryLock again(dir_));
}

TEST_F(OutputsTest, AtomicFileHasNoNameUntilPublished) {
  AtomicFile file(dir_ + "/result.npy");
  file.append(std::string("half of a result"));
  // O_TMPFILE: nothing in the directory a crash could leave behind (where the
  // file system lacks O_TMPFILE a hidden temporary is the fallback).
  if (entries() != 0) GTEST_SKIP() << "no O_TMPFILE on this file system";
  file.commit();
  EXPECT_EQ(entries(), 1u);
  std::ifstream in(dir_ + "/result.npy");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "half of a result");
}

TEST_F(OutputsTest, PublishReplacesAnOlderResult) {
  std::ofstream(dir_ + "/r.txt") << "old";
  AtomicFile file(dir_ + "/r.txt");
  file.append(std::string("new"));
  file.commit();
  std::ifstream in(dir_ + "/r.txt");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "new");
  EXPECT_EQ(entries(), 1u);
}

// Someone who can write the output folder plants links where ringsim might
// open a name of its own (its write probe, a named temporary): the files
// they point at are never opened, truncated or written.
TEST_F(OutputsTest, LinksPlantedInTheOutputFolderAreNeverFollowed) {
  const std::string victim = dir_ + "/../ringsim-victim-" + std::to_string(::getpid());
  { std::ofstream(victim) << "precious"; }
  const std::string pid = std::to_string(::getpid());
  for (const std::string name : {".ringsim-write-test." + pid, ".result.npy.tmp." + pid})
    fs::create_symlink(fs::absolute(victim), fs::path(dir_) / name);
  ensure_writable_directory(dir_);
  {
    AtomicFile file(dir_ + "/result.npy");
    file.append(std::string("result"));
    file.commit();
  }
  std::string text;
  std::getline(std::ifstream(victim), text);
  EXPECT_EQ(text, "precious") << "a planted link was followed";
  std::getline(std::ifstream(dir_ + "/result.npy"), text);
  EXPECT_EQ(text, "result");
  EXPECT_FALSE(fs::is_symlink(dir_ + "/result.npy"));
  fs::remove(victim);
}

TEST_F(OutputsTest, StopHandlerRemovesRegisteredTemporariesAtOnce) {
  const std::string temp = dir_ + "/.r.tmp.1";
  // In a child process: the stop flag, once raised, stays raised.
  EXPECT_EXIT(
      {
        std::ofstream(temp) << "partial";
        remove_on_stop(temp);
        install_stop_handler();
        std::raise(SIGTERM);
        bool stopped = false;
        try {
          throw_if_stopped();
        } catch (const StoppedError&) {
          stopped = true;
        }
        std::_Exit(!fs::exists(temp) && stopped ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_FALSE(fs::exists(temp)) << "removed by the handler, before any unwinding";
}

TEST(Phase, AStopNoticedLaterNamesThePhaseItArrivedIn) {
  // A rank whose write phase polls nothing (a send that completes at once)
  // notices a SIGTERM that arrived in "write" only in the next phase; the
  // message must still say "in phase write". In a child: the flag stays up.
  EXPECT_EXIT(
      {
        install_stop_handler();
        {
          PhaseScope write("write");
          std::raise(SIGTERM);
        }
        std::string where;
        try {
          PhaseScope report("report");
          throw_if_stopped();
        } catch (const StoppedError&) {
          where = where_this_rank_is();
        }
        std::fprintf(stderr, "%s\n", where.c_str());
        std::_Exit(where.ends_with("in phase write") ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(Phase, AnExceptionKeepsThePhaseItLeft) {
  try {
    PhaseScope outer("load");
    PhaseScope inner("connect");
    throw IoError("boom");
  } catch (const IoError&) {
    EXPECT_STREQ(current_phase(), "connect");
  }
  { PhaseScope ring("ring"); }
  EXPECT_STREQ(current_phase(), "connect") << "a scope left normally restores the phase before it";
}

}  // namespace
}  // namespace ringsim

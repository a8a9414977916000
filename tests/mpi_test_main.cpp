#include "tests/mpi_test_main.hpp"

#include <unistd.h>

#include <filesystem>
#include <memory>

namespace ringsim::testing {

namespace {
std::unique_ptr<MpiComm> g_world;
}

MpiComm& world() { return *g_world; }

std::string shared_temp_dir(const std::string& tag) {
  std::string dir;
  if (world().rank() == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / ("ringsim-" + tag + "-XXXXXX")).string();
    dir = ::mkdtemp(pattern.data());
  }
  return world().broadcast(dir, 0);
}

std::string agree_on(const std::string& rank0_verdict) { return world().broadcast(rank0_verdict, 0); }

}  // namespace ringsim::testing

int main(int argc, char** argv) {
  ringsim::MpiSession session(&argc, &argv);
  ringsim::testing::g_world = std::make_unique<ringsim::MpiComm>();
  ::testing::InitGoogleTest(&argc, argv);
  if (ringsim::testing::world().rank() != 0) {
    // One report per test run, from rank 0; other ranks still fail the run
    // through their exit code if their own assertions fail.
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int result = RUN_ALL_TESTS();
  ringsim::testing::g_world.reset();
  return result;
}

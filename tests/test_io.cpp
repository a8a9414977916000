#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/errors.hpp"
#include "common/atomic_file.hpp"
#include "common/hex.hpp"
#include "engine/generate.hpp"
#include "engine/matrix_source.hpp"
#include "engine/npy.hpp"

using namespace ringsim;
namespace fs = std::filesystem;

namespace {

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ringsim-io-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  template <class T>
  void write_npy(const std::string& name, const std::string& descr, std::vector<std::int64_t> shape,
                 const std::vector<T>& values, bool fortran = false) const {
    std::string header = make_npy_header(descr, shape);
    if (fortran) header.replace(header.find("False"), 5, "True ");
    write(name, header + std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  }
  template <class Fn>
  std::string error_of(Fn&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

}  // namespace

TEST_F(IoTest, NpyHeaderRoundTrip) {
  const std::string header = make_npy_header("<f4", {1001, 37});
  EXPECT_EQ(header.size() % 64, 0u);
  const NpyHeader parsed = parse_npy_header(header, "x");
  EXPECT_EQ(parsed.descr, "<f4");
  EXPECT_FALSE(parsed.fortran_order);
  EXPECT_EQ(parsed.shape, (std::vector<std::int64_t>{1001, 37}));
  EXPECT_EQ(parsed.data_offset, static_cast<std::int64_t>(header.size()));
}

TEST_F(IoTest, LoadsOnlyRequestedRowsInBothOrders) {
  std::vector<double> c_order, f_order(12);
  for (int i = 0; i < 12; ++i) c_order.push_back(i + 1);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c) f_order[c * 4 + r] = c_order[r * 3 + c];
  write_npy("c.npy", "<f8", {4, 3}, c_order);
  write_npy("f.npy", "<f8", {4, 3}, f_order, true);
  for (const char* name : {"c.npy", "f.npy"}) {
    const auto source = MatrixSource::open(path(name));
    EXPECT_EQ(source.rows(), 4);
    EXPECT_EQ(source.cols(), 3);
    const auto rows = source.load_rows<float>(1, 2);
    EXPECT_EQ(rows(0, 0), 4.f) << name;
    EXPECT_EQ(rows(1, 2), 9.f) << name;
  }
}

TEST_F(IoTest, GeneratedMatrixRoundTripsThroughNpyAndCsv) {
  GenerateOptions options;
  options.rows = 13;
  options.cols = 5;
  options.seed = 4;
  const auto matrix = generate_clustered(options);
  write_matrix(path("g.npy"), matrix);
  write_matrix(path("g.csv"), matrix);
  for (const char* name : {"g.npy", "g.csv"}) {
    const auto loaded = MatrixSource::open(path(name)).load_rows<float>(0, 13);
    EXPECT_TRUE(loaded == matrix) << name;
  }
  EXPECT_TRUE(generate_clustered(options) == matrix) << "same seed, same bits";
}

TEST_F(IoTest, CsvWithHeaderAndBlankLines) {
  write("h.csv", "a,b\n1,2\n\n3, 4\n5,6\n");
  const auto source = MatrixSource::open(path("h.csv"));
  EXPECT_EQ(source.rows(), 3);
  const auto rows = source.load_rows<double>(1, 2);
  EXPECT_EQ(rows(0, 1), 4.0);
  EXPECT_EQ(rows(1, 0), 5.0);
}

TEST_F(IoTest, DirectoryStacksFilesInNameOrder) {
  write_npy<float>("b.npy", "<f4", {1, 2}, {3, 4});
  write_npy<float>("a.npy", "<f4", {2, 2}, {1, 0, 2, 0});
  write_npy<float>("c.npy", "<f4", {0, 2}, {});
  const auto source = MatrixSource::open(dir_.string());
  EXPECT_EQ(source.rows(), 3);
  EXPECT_EQ(source.load_rows<float>(2, 1)(0, 1), 4.f);
}

TEST_F(IoTest, BadInputsNameTheProblem) {
  write_npy<float>("three_d.npy", "<f4", {1, 2, 2}, {1, 2, 3, 4});
  write_npy<std::int64_t>("ints.npy", "<i8", {2, 2}, {1, 2, 3, 4});
  write_npy<float>("short.npy", "<f4", {4, 4}, {1, 2, 3});
  write_npy<float>("nan.npy", "<f4", {3, 2}, {1, 2, 3, NAN, 5, 6});
  write_npy<float>("inf.npy", "<f4", {2, 1}, {1, INFINITY});
  write("garbage.npy", "hello world, not numpy");
  write("ragged.csv", "1,2\n3\n");
  write("word.csv", "1,2\n3,x\n");
  write("data.txt", "1,2\n");
  EXPECT_NE(error_of([&] { MatrixSource::open(path("missing.npy")); }).find("not found"), std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("three_d.npy")); }).find("2-D"), std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("ints.npy")); }).find("unsupported dtype '<i8'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("short.npy")); }).find("truncated"), std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("garbage.npy")); }).find("not a .npy"), std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("ragged.csv")); }).find("ragged.csv:2: expected 2 values"),
            std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("word.csv")).load_rows<float>(0, 2); }).find("not a number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("data.txt")); }).find("unknown input format"), std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("nan.npy")).load_rows<float>(0, 3, 100); })
                .find("NaN at row 101, column 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { MatrixSource::open(path("inf.npy")).load_rows<float>(0, 2); }).find("Inf at row 1"),
            std::string::npos);
  // Rows outside the requested range are not even looked at.
  EXPECT_NO_THROW(MatrixSource::open(path("nan.npy")).load_rows<float>(2, 1));
}

TEST_F(IoTest, AtomicFileAppearsOnlyOnCommit) {
  const std::string target = path("out.bin");
  {
    AtomicFile file(target);
    file.append(std::string("partial"));
    EXPECT_FALSE(fs::exists(target));
  }
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 0) << "temporary removed";
  {
    AtomicFile file(target);
    file.append(std::string("complete"));
    file.commit();
  }
  EXPECT_EQ(fs::file_size(target), 8u);
}

TEST_F(IoTest, UnwritableDirectoryIsReported) {
  write("plain-file", "x");
  EXPECT_NE(error_of([&] { ensure_writable_directory(path("plain-file") + "/sub"); }).find("cannot be created"),
            std::string::npos);
}

TEST(Hex, RoundTripsAndRefusesWhatIsNotHex) {
  const std::vector<unsigned char> bytes = {0x00, 0x0f, 0x5a, 0xa5, 0xf0, 0xff};
  EXPECT_EQ(to_hex(bytes), "000f5aa5f0ff");
  EXPECT_EQ(from_hex("000f5aa5f0ff"), bytes);
  EXPECT_EQ(from_hex("000F5AA5F0FF"), bytes);
  EXPECT_TRUE(from_hex("0g").empty());
  EXPECT_TRUE(from_hex("abc").empty());
  EXPECT_TRUE(from_hex("").empty());
}

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "engine/generate.hpp"
#include "engine/io/matrix_source.hpp"
#include "engine/io/npy.hpp"
#include "tests/scratch_dir.hpp"

using namespace ringsim;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
namespace fs = std::filesystem;

namespace {

class IoTest : public ::testing::Test {
 protected:
  ringsim::testing::ScratchDir scratch_{"io"};
  const fs::path& dir_ = scratch_.path();
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
  write("word.csv", "1,5\n3,x\n");
  write("data.txt", "1,2\n");
  EXPECT_THAT([&] { MatrixSource::open(path("missing.npy")); }, ThrowsMessage<Error>(HasSubstr("not found")));
  EXPECT_THAT([&] { MatrixSource::open(path("three_d.npy")); }, ThrowsMessage<Error>(HasSubstr("2-D")));
  EXPECT_THAT([&] { MatrixSource::open(path("ints.npy")); },
              ThrowsMessage<Error>(HasSubstr("unsupported dtype '<i8'")));
  EXPECT_THAT([&] { MatrixSource::open(path("short.npy")); }, ThrowsMessage<Error>(HasSubstr("truncated")));
  EXPECT_THAT([&] { MatrixSource::open(path("garbage.npy")); }, ThrowsMessage<Error>(HasSubstr("not a .npy")));
  EXPECT_THAT([&] { MatrixSource::open(path("ragged.csv")); },
              ThrowsMessage<Error>(HasSubstr("ragged.csv:2: expected 2 values")));
  EXPECT_THAT([&] { MatrixSource::open(path("word.csv")).load_rows<float>(0, 2); },
              ThrowsMessage<Error>(HasSubstr("not a number")));
  EXPECT_THAT([&] { MatrixSource::open(path("data.txt")); }, ThrowsMessage<Error>(HasSubstr("unknown input format")));
  EXPECT_THAT([&] { MatrixSource::open(path("nan.npy")).load_rows<float>(0, 3, 100); },
              ThrowsMessage<Error>(HasSubstr("NaN at row 101, column 1")));
  EXPECT_THAT([&] { MatrixSource::open(path("inf.npy")).load_rows<float>(0, 2); },
              ThrowsMessage<Error>(HasSubstr("Inf at row 1")));
  // Rows outside the requested range are not even looked at.
  EXPECT_NO_THROW(MatrixSource::open(path("nan.npy")).load_rows<float>(2, 1));
}

namespace {

// A version 1.0 .npy header around an arbitrary dictionary text.
std::string npy_with_dict(const std::string& dict) {
  std::string padded = dict;
  padded.append((64 - (10 + padded.size() + 1) % 64) % 64, ' ');
  padded.push_back('\n');
  std::string header("\x93NUMPY\x01\x00", 8);
  header.push_back(static_cast<char>(padded.size() & 0xff));
  header.push_back(static_cast<char>(padded.size() >> 8));
  return header + padded;
}

}  // namespace

TEST_F(IoTest, NpyHeaderIsReadAsAPythonLiteral) {
  const auto parsed = [](const std::string& dict) { return parse_npy_header(npy_with_dict(dict), "h.npy"); };
  // What NumPy itself writes, and the spellings Python allows.
  EXPECT_EQ(parsed("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }").shape,
            (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(parsed("{\"shape\":(7,),\"fortran_order\":True,\"descr\":\"<f8\"}").shape, (std::vector<std::int64_t>{7}));
  EXPECT_TRUE(parsed("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1)}").fortran_order);
  EXPECT_TRUE(parsed("{'descr': '<f8', 'fortran_order': False, 'shape': ()}").shape.empty());

  // Parsing `dict`, as a callable for the exception matchers.
  const auto parsing = [&](const std::string& dict) { return [&parsed, dict] { parsed(dict); }; };
  const std::string ok_start = "{'descr': '<f4', 'fortran_order': False, ";
  for (const char* shape : {"(-3, 2)", "(3, -2)", "'50 by 8'", "(50 by 8)", "(5)", "[3, 2]", "(3, 2.5)", "(3,, 2)",
                            "(99999999999999999999, 1)"}) {
    EXPECT_THAT(parsing(ok_start + "'shape': " + shape + ", }"),
                ThrowsMessage<Error>(AllOf(HasSubstr("h.npy: malformed .npy header"), HasSubstr("shape"))))
        << shape;
  }
  for (const char* fortran : {"'True'", "'False'", "1", "true", "Trueish", "None"}) {
    EXPECT_THAT(parsing(std::string("{'descr': '<f4', 'fortran_order': ") + fortran + ", 'shape': (3, 2), }"),
                ThrowsMessage<Error>(HasSubstr("'fortran_order' must be True or False")))
        << fortran;
  }
  EXPECT_THAT(parsing("{'descr': <f4, 'fortran_order': False, 'shape': (3, 2)}"),
              ThrowsMessage<Error>(HasSubstr("dtype")));
  EXPECT_THAT(parsing("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,)}"),
              ThrowsMessage<Error>(HasSubstr("structured")));
  EXPECT_THAT(parsing("{'fortran_order': False, 'shape': (3, 2)}"), ThrowsMessage<Error>(HasSubstr("no 'descr'")));
  EXPECT_THAT(parsing(ok_start + "'shape': (3, 2), 'shape': (3, 2)}"), ThrowsMessage<Error>(HasSubstr("twice")));
  EXPECT_THAT(parsing(ok_start + "'shape': (3, 2), 'extra': 1}"),
              ThrowsMessage<Error>(HasSubstr("unexpected key 'extra'")));
  EXPECT_THAT(parsing(ok_start + "'shape': (3, 2)"),
              ThrowsMessage<Error>(HasSubstr("malformed .npy header: expected ','")));
  // A value that mentions another key is not that key.
  EXPECT_THAT(parsing("{'descr': 'shape', 'fortran_order': False}"), ThrowsMessage<Error>(HasSubstr("no 'shape'")));
}

TEST_F(IoTest, NpyShapeWhoseSizeOverflowsIsRefused) {
  // 2^62 x 2^62 float32: n * d * 4 is far past 2^63 (signed overflow before).
  write("huge.npy", npy_with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, "
                                  "4611686018427387904), }") +
                        std::string(64, '\0'));
  // 2^61 x 1 float32: fits 64 bits only until the item size is applied.
  write("edge.npy", npy_with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693952, 1), }"));
  for (const char* name : {"huge.npy", "edge.npy"}) {
    EXPECT_THAT([&] { MatrixSource::open(path(name)); },
                ThrowsMessage<Error>(HasSubstr(path(name) + ": implausible .npy shape")));
  }
  // (2^62, 0) needs no bytes at all: 2^62 empty rows would be "loaded" one by one.
  write("no-columns.npy",
        npy_with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 0), }"));
  EXPECT_THAT([&] { MatrixSource::open(path("no-columns.npy")); },
              ThrowsMessage<Error>(HasSubstr("rows without columns")));
  write_npy<float>("empty.npy", "<f4", {0, 0}, {});
  EXPECT_EQ(MatrixSource::open(path("empty.npy")).rows(), 0);
}

TEST_F(IoTest, TruncatedNpyDataIsRefusedNamingTheFile) {
  write_npy<float>("short.npy", "<f4", {4, 4}, std::vector<float>(15, 1.f));
  EXPECT_THAT([&] { MatrixSource::open(path("short.npy")); },
              ThrowsMessage<Error>(HasSubstr(path("short.npy") + ": truncated data: header says 4 x 4")));
  // A header cut short, and a file that ends inside the length field.
  const std::string whole = make_npy_header("<f4", {1, 1}) + std::string(4, '\0');
  write("cut-header.npy", whole.substr(0, 30));
  write("cut-length.npy", std::string("\x93NUMPY\x02\x00\x10", 9) + "\0");
  for (const char* name : {"cut-header.npy", "cut-length.npy"}) {
    EXPECT_THAT([&] { MatrixSource::open(path(name)); },
                ThrowsMessage<Error>(
                    AllOf(HasSubstr(path(name) + ": "), AnyOf(HasSubstr("truncated"), HasSubstr("not a .npy")))));
  }
}

TEST_F(IoTest, Float64BeyondFloat32RangeIsRefusedForFloat32Compute) {
  write_npy<double>("big.npy", "<f8", {2, 2}, {1, 2, 3, 1e300});
  write_npy<double>("big-f.npy", "<f8", {2, 2}, {1, 1e300, 2, 3}, true);  // column-major: (1, 0) is 1e300
  write("big.csv", "1,5\n3,1e300\n");
  EXPECT_THAT([&] { MatrixSource::open(path("big.npy")).load_rows<float>(0, 2, 10); },
              ThrowsMessage<Error>(
                  HasSubstr("big.npy: row 11, column 1: value 1e+300 does not fit float32; use --dtype float64")));
  EXPECT_THAT([&] { MatrixSource::open(path("big-f.npy")).load_rows<float>(0, 2); },
              ThrowsMessage<Error>(HasSubstr("row 1, column 0: value 1e+300 does not fit float32")));
  EXPECT_THAT([&] { MatrixSource::open(path("big.csv")).load_rows<float>(0, 2); },
              ThrowsMessage<Error>(HasSubstr("big.csv:2: column 1: value 1e+300 does not fit float32")));
  EXPECT_EQ(MatrixSource::open(path("big.npy")).load_rows<double>(0, 2)(1, 1), 1e300);
}

TEST_F(IoTest, CsvByteOrderMarkIsSkipped) {
  const std::string data = "1,5\n3,4\n5,6\n";  // (1,2 would be a header: 1..d)
  write("plain.csv", data);
  write("bom.csv", "\xEF\xBB\xBF" + data);
  write("bom-header.csv",
        "\xEF\xBB\xBF"
        "a,b\n" +
            data);
  const auto plain = MatrixSource::open(path("plain.csv"));
  for (const char* name : {"bom.csv", "bom-header.csv"}) {
    const auto source = MatrixSource::open(path(name));
    EXPECT_EQ(source.rows(), plain.rows()) << name;
    EXPECT_EQ(source.cols(), plain.cols()) << name;
    EXPECT_TRUE(source.load_rows<double>(0, 3) == plain.load_rows<double>(0, 3)) << name;
  }
  EXPECT_TRUE(MatrixSource::open(path("bom-header.csv")).files()[0].csv_header);
  EXPECT_FALSE(MatrixSource::open(path("bom.csv")).files()[0].csv_header);
}

// docs/input.md's header rules: a first line that is not all numbers, or is
// exactly 0,1,...,d-1 (pandas' to_csv(index=False)), is a header; numbers
// that only look like column names are data; --csv-header decides instead.
TEST_F(IoTest, CsvHeaderRules) {
  const auto header = [&](const std::string& first, const CsvOptions& csv = {}) {
    write("h.csv", first + "\n" + "0.5,1.5,2.5\n7,8,9\n");
    return MatrixSource::open(path("h.csv"), false, csv).files()[0].csv_header;
  };
  EXPECT_TRUE(header("0,1,2"));
  EXPECT_TRUE(header(" 0, 1, 2"));
  EXPECT_TRUE(header("a,b,c"));
  EXPECT_TRUE(header("1,x,3")) << "a word after the first field";
  EXPECT_FALSE(header("0.0,1.0,2.0")) << "not the integers pandas writes";
  EXPECT_TRUE(header("1,2,3")) << "columns renamed 1..d";
  EXPECT_TRUE(header("2,0,1")) << "numbered columns in another order";
  EXPECT_FALSE(header("0,1,3"));
  EXPECT_FALSE(header("5,0,1"));
  EXPECT_FALSE(header("1,1,2"));
  EXPECT_FALSE(header("0,1,2", CsvOptions{.header = CsvHeader::no}));
  EXPECT_TRUE(header("4,5,6", CsvOptions{.header = CsvHeader::yes}));
  // With an index column the counted fields are those after it.
  write("i.csv", "idx,0,1\n10,0.5,1.5\n11,7,8\n");
  const auto indexed = MatrixSource::open(path("i.csv"), false, CsvOptions{.index_col = true});
  EXPECT_EQ(indexed.cols(), 2);
  EXPECT_EQ(indexed.rows(), 2);
  EXPECT_EQ(indexed.load_rows<double>(0, 2)(1, 1), 8.0);
  EXPECT_EQ(read_csv_index_column(indexed.files()[0]), (std::vector<std::string>{"10", "11"}));
  write("one.csv", "1\n2\n");
  EXPECT_THAT([&] { MatrixSource::open(path("one.csv"), false, CsvOptions{.index_col = true}); },
              ThrowsMessage<InputError>(HasSubstr("no features left")));
}

// With --csv-index-col the header test reads the fields after the index:
// "0,1,2" is the row with id 0 (1,2 are not 0..d-1), "5,0,1" a header whose
// index field is 5. Counting the index field as a column name would turn
// both around.
TEST_F(IoTest, CsvHeaderRulesWithIndexColumn) {
  const CsvOptions indexed{.index_col = true};
  write("zero.csv", "0,1,2\n1,0.5,1.5\n2,7,8\n");
  const auto zero = MatrixSource::open(path("zero.csv"), false, indexed);
  EXPECT_FALSE(zero.files()[0].csv_header);
  EXPECT_EQ(zero.rows(), 3);
  EXPECT_EQ(zero.cols(), 2);
  EXPECT_EQ(read_csv_index_column(zero.files()[0]), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(zero.load_rows<double>(0, 1)(0, 0), 1.0);
  write("five.csv", "5,0,1\n1,0.5,1.5\n2,7,8\n");
  const auto five = MatrixSource::open(path("five.csv"), false, indexed);
  EXPECT_TRUE(five.files()[0].csv_header);
  EXPECT_EQ(five.rows(), 2);
  EXPECT_EQ(read_csv_index_column(five.files()[0]), (std::vector<std::string>{"1", "2"}));
  write("word.csv", "pkg,0.5,1.5\nlib,7,8\n");
  const auto word = MatrixSource::open(path("word.csv"), false, indexed);
  EXPECT_FALSE(word.files()[0].csv_header) << "a string id, not a header";
  EXPECT_EQ(word.rows(), 2);
}

// Without --csv-index-col: the layouts pandas writes, each read as pandas
// meant it, with the rule that decided it.
TEST_F(IoTest, CsvIndexColumnIsFoundWhereItIsUnambiguous) {
  const auto open = [&](const std::string& text) {
    write("p.csv", text);
    return MatrixSource::open(path("p.csv"));
  };
  const auto unnamed = open(",0,1\n7,0.5,1.5\n3,2,8\n");  // to_csv() after a shuffle
  EXPECT_TRUE(unnamed.files()[0].csv_header);
  EXPECT_TRUE(unnamed.files()[0].csv_index_col);
  EXPECT_THAT(unnamed.files()[0].csv_index_rule, HasSubstr("unnamed index"));
  EXPECT_EQ(unnamed.cols(), 2);
  EXPECT_EQ(unnamed.rows(), 2);
  EXPECT_EQ(read_csv_index_column(unnamed.files()[0]), (std::vector<std::string>{"7", "3"}));
  const auto named = open("id,0,1\n7,0.5,1.5\n3,2,8\n");
  EXPECT_TRUE(named.files()[0].csv_index_col);
  EXPECT_THAT(named.files()[0].csv_index_rule, HasSubstr("'id'"));
  const auto strings = open("apt,0.5,1.5\nvim,2,8\n");  // to_csv(header=False), string index
  EXPECT_FALSE(strings.files()[0].csv_header);
  EXPECT_TRUE(strings.files()[0].csv_index_col);
  EXPECT_EQ(strings.rows(), 2);
  const auto named_columns = open(",a,b\napt,0.5,1.5\nvim,2,8\n");
  EXPECT_TRUE(named_columns.files()[0].csv_index_col);
  EXPECT_EQ(named_columns.cols(), 2);
  const auto features = open("a,b,c\n0.5,1.5,2\n1,2,3\n");
  EXPECT_FALSE(features.files()[0].csv_index_col);
  EXPECT_EQ(features.cols(), 3);
  EXPECT_EQ(open("1,2,3\n0.5,1.5,2\n").files()[0].csv_header_rule, "its fields are the integers 1..d");
  // An index pandas wrote without a header: refused (which column is
  // meant cannot be told), unless --csv-header says the layout.
  EXPECT_THAT([&] { open("2,0.5,1.5\n0,2,8\n1,3,4\n"); }, ThrowsMessage<InputError>(HasSubstr("pass --csv-index-col")));
  const auto as_is = MatrixSource::open(path("p.csv"), false, CsvOptions{.header = CsvHeader::no});
  EXPECT_EQ(as_is.cols(), 3);
  EXPECT_TRUE(as_is.files()[0].csv_first_column_is_counter);
  EXPECT_EQ(open("2,1,1\n0,2,8\n1,3,4\n").cols(), 3) << "an integer matrix";
}

TEST_F(IoTest, CsvSeparatorsAndCompressionAreRefusedByName) {
  write("semi.csv", ";0;1\n0;0.5;1.5\n");
  EXPECT_THAT([&] { MatrixSource::open(path("semi.csv")); },
              ThrowsMessage<InputError>(HasSubstr("semi.csv:1: values are separated by ';'")));
  write("tab.csv", "0.5\t1.5\n");
  EXPECT_THAT([&] { MatrixSource::open(path("tab.csv")); }, ThrowsMessage<InputError>(HasSubstr("'\\t'")));
  write("x.csv.gz", "\x1f\x8b");
  EXPECT_THAT([&] { MatrixSource::open(path("x.csv.gz")); },
              ThrowsMessage<InputError>(HasSubstr("x.csv.gz: a compressed file")));
  std::filesystem::create_directories(path("parts"));
  write("parts/a.csv", "0.5,2\n");
  write("parts/b.csv.gz", "\x1f\x8b");
  EXPECT_THAT([&] { MatrixSource::open(path("parts")); },
              ThrowsMessage<InputError>(HasSubstr("b.csv.gz: a compressed file")));
  write("parts/b.csv.gz", "");
  std::filesystem::remove(path("parts/b.csv.gz"));
  write("parts/c.csv", ",0,1\n0,3,4\n");
  EXPECT_THAT([&] { MatrixSource::open(path("parts")); }, ThrowsMessage<InputError>(HasSubstr("index column")));
}

TEST_F(IoTest, CsvNonFiniteAndRaggedRowsNameTheLine) {
  write("nan.csv", "x,y\n1,2\n3,nan\n");
  write("inf.csv", "1,5\n-inf,4\n");
  write("overflow.csv", "1,5\n\n3,1e999\n");
  write("ragged.csv", "1,2\n3,4\n5,6,7\n");
  write("short.csv", "1,2,3\n4,5\n");
  EXPECT_THAT([&] { MatrixSource::open(path("nan.csv")).load_rows<float>(0, 2); },
              ThrowsMessage<Error>(HasSubstr("nan.csv:3: column 1 is not a finite number: 'nan'")));
  EXPECT_THAT([&] { MatrixSource::open(path("inf.csv")).load_rows<double>(0, 2); },
              ThrowsMessage<Error>(HasSubstr("inf.csv:2: column 0 is not a finite number: '-inf'")));
  EXPECT_THAT([&] { MatrixSource::open(path("overflow.csv")).load_rows<double>(0, 2); },
              ThrowsMessage<Error>(HasSubstr("overflow.csv:3: column 1 is not a finite number: '1e999'")));
  EXPECT_THAT([&] { MatrixSource::open(path("ragged.csv")); },
              ThrowsMessage<Error>(HasSubstr("ragged.csv:3: expected 2 values, found 3")));
  EXPECT_THAT([&] { MatrixSource::open(path("short.csv")); },
              ThrowsMessage<Error>(HasSubstr("short.csv:2: expected 3 values, found 2")));
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
  EXPECT_THAT([&] { ensure_writable_directory(path("plain-file") + "/sub"); },
              ThrowsMessage<Error>(HasSubstr("cannot be created")));
}

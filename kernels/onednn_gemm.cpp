#include "kernels/onednn_gemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>

#include "common/errors.hpp"
#include "kernels/normalize.hpp"

#ifdef RINGSIM_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
// oneDNN's threads are OpenMP's; a rank computes on one core.
extern "C" void omp_set_num_threads(int);
#endif

namespace ringsim {

namespace {

// Round to nearest even on the 16 bits dropped (no NaN reaches here: rows
// are finite and normalised).
std::uint16_t bfloat16_bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<std::uint16_t>(bits >> 16);
}

// |copy - row| (Euclidean), rounded up. Each difference is exact in double
// (two floats within a factor of two); squares and the sum round: at most
// (d + 2) half-units of double, and the sqrt one more, covered by the factor.
double residual_norm(const float* row, const std::uint16_t* copy, std::int64_t d) {
  double sum = 0;
  for (std::int64_t c = 0; c < d; ++c) {
    const double difference = static_cast<double>(bfloat16_value(copy[c])) - static_cast<double>(row[c]);
    sum += difference * difference;
  }
  return std::sqrt(sum) * (1 + (static_cast<double>(d) + 4) * 0x1p-52);
}

}  // namespace

void to_bfloat16(const RowMatrix<float>& rows, Bf16Rows& out) {
  out.rows = rows.rows();
  out.cols = rows.cols();
  out.values.resize(static_cast<std::size_t>(rows.size()));
  const float* in = rows.data();
  for (std::int64_t i = 0; i < rows.size(); ++i) out.values[static_cast<std::size_t>(i)] = bfloat16_bits(in[i]);
}

std::vector<double> bfloat16_residual_norms(const RowMatrix<float>& rows, const Bf16Rows& copy) {
  std::vector<double> norms(static_cast<std::size_t>(rows.rows()));
  for (std::int64_t r = 0; r < rows.rows(); ++r)
    norms[static_cast<std::size_t>(r)] = residual_norm(rows.row(r).data(), copy.row(r), rows.cols());
  return norms;
}

std::vector<double> normalised_bfloat16(const RowMatrix<float>& rows, Bf16Rows& out) {
  out.rows = rows.rows();
  out.cols = rows.cols();
  out.values.resize(static_cast<std::size_t>(rows.size()));
  std::vector<double> residuals(static_cast<std::size_t>(rows.rows()));
  constexpr std::int64_t kChunk = 256;  // rows normalised at once: a scratch that stays in cache
  RowMatrix<float> chunk;
  for (std::int64_t r0 = 0; r0 < rows.rows(); r0 += kChunk) {
    chunk = rows.middleRows(r0, std::min(kChunk, rows.rows() - r0));
    normalize_rows(chunk);
    for (std::int64_t r = 0; r < chunk.rows(); ++r) {
      std::uint16_t* copy = out.values.data() + (r0 + r) * out.cols;
      const float* row = chunk.row(r).data();
      for (std::int64_t c = 0; c < out.cols; ++c) copy[c] = bfloat16_bits(row[c]);
      residuals[static_cast<std::size_t>(r0 + r)] = residual_norm(row, copy, out.cols);
    }
  }
  return residuals;
}

float bfloat16_value(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

#ifdef RINGSIM_ONEDNN

bool onednn_available() { return true; }

bool onednn_native_bfloat16() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

std::string onednn_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    default:
      return "other";
  }
}

struct OnednnGemm::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  struct Shape {
    dnnl::memory::desc a, b, out;
    dnnl::matmul matmul;
  };
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, Shape> shapes;

  Shape& shape(dnnl::memory::data_type type, std::int64_t ra, std::int64_t rb, std::int64_t cols) {
    const auto key = std::make_tuple(ra, rb, cols);
    auto found = shapes.find(key);
    if (found != shapes.end()) return found->second;
    Shape s;
    s.a = dnnl::memory::desc({ra, cols}, type, dnnl::memory::dims{cols, 1});
    // b's rows, read as the columns of the right operand (cols x rb).
    s.b = dnnl::memory::desc({cols, rb}, type, dnnl::memory::dims{1, cols});
    s.out = dnnl::memory::desc({ra, rb}, dnnl::memory::data_type::f32, dnnl::memory::dims{rb, 1});
    // Strict: float32 inputs are multiplied as float32 whatever
    // ONEDNN_DEFAULT_FPMATH_MODE says (oneDNN 2.6's matmul ignores it;
    // later versions may round float32 inputs to bfloat16 under BF16,
    // outside float32's bound B).
    dnnl::primitive_attr strict;
    strict.set_fpmath_mode(dnnl::fpmath_mode::strict);
    s.matmul = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(s.a, s.b, s.out), strict, engine));
    return shapes.emplace(key, std::move(s)).first->second;
  }
};

OnednnGemm::OnednnGemm(OnednnInput input) : input_(input), impl_(std::make_unique<Impl>()) {}
OnednnGemm::~OnednnGemm() = default;

void OnednnGemm::run(const void* a, std::int64_t ra, const void* b, std::int64_t rb, std::int64_t cols, float* out) {
  if (ra == 0 || rb == 0) return;
  omp_set_num_threads(1);
  using dt = dnnl::memory::data_type;
  Impl::Shape& s = impl_->shape(input_ == OnednnInput::bfloat16 ? dt::bf16 : dt::f32, ra, rb, cols);
  // oneDNN takes non-const handles; it only reads the inputs.
  dnnl::memory a_mem(s.a, impl_->engine, const_cast<void*>(a));
  dnnl::memory b_mem(s.b, impl_->engine, const_cast<void*>(b));
  dnnl::memory out_mem(s.out, impl_->engine, out);
  s.matmul.execute(impl_->stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, out_mem}});
  impl_->stream.wait();
}

#else

bool onednn_available() { return false; }
bool onednn_native_bfloat16() { return false; }
std::string onednn_isa_name() { return "none (built without oneDNN)"; }

struct OnednnGemm::Impl {};
OnednnGemm::OnednnGemm(OnednnInput input) : input_(input) {
  throw InputError(input == OnednnInput::bfloat16
                       ? "--precision bfloat16: this ringsim was built without oneDNN (install libdnnl-dev and rebuild)"
                       : "RINGSIM_F32_GEMM=onednn: this ringsim was built without oneDNN (install libdnnl-dev and "
                         "rebuild)");
}
OnednnGemm::~OnednnGemm() = default;
void OnednnGemm::run(const void*, std::int64_t, const void*, std::int64_t, std::int64_t, float*) {}

#endif

void OnednnGemm::multiply(const Bf16Rows& a, std::int64_t a0, std::int64_t ra, const Bf16Rows& b, std::int64_t b0,
                          std::int64_t rb, float* out) {
  RINGSIM_ENFORCE(input_ == OnednnInput::bfloat16, "bfloat16 rows for a float32 oneDNN GEMM");
  RINGSIM_ENFORCE(a.cols == b.cols, "oneDNN GEMM of rows of different widths");
  run(a.row(a0), ra, b.row(b0), rb, a.cols, out);
}

void OnednnGemm::multiply(const RowMatrix<float>& a, std::int64_t a0, std::int64_t ra, const RowMatrix<float>& b,
                          std::int64_t b0, std::int64_t rb, float* out) {
  RINGSIM_ENFORCE(input_ == OnednnInput::float32, "float32 rows for a bfloat16 oneDNN GEMM");
  RINGSIM_ENFORCE(a.cols() == b.cols(), "oneDNN GEMM of rows of different widths");
  run(a.data() + a0 * a.cols(), ra, b.data() + b0 * b.cols(), rb, a.cols(), out);
}

}  // namespace ringsim

// Host side of the CUDA backend, built by the host compiler against the CUDA
// runtime and cuBLAS (their C headers need no nvcc); the kernels are in
// select_kernels.cu. One compute stream runs each tile's GEMM and selection;
// a copy stream uploads the visiting block through pinned memory one tile
// edge of rows at a time, so tile (i, j) waits only for the rows it reads
// and the later rows cross while the first tiles compute.
//
// Exact rule (TileRule::exact, docs/gpu.md): the GPU multiplies normalised
// copies (float32, TF32 or bfloat16 on tensor cores, float64) and nominates
// each tile's candidates with that GEMM's bound B (select_row.hpp's
// select_tile_list_candidates, or the pairs over T - B); only they cross
// back, and the host re-scores them from the rows as given
// (exact_rescore.hpp), so decisions are the CPU's bit for bit.
#include "kernels/cuda/cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#include "common/errors.hpp"
#include "kernels/cuda/select_kernels.hpp"
#include "kernels/device_choice.hpp"
#include "kernels/normalize.hpp"
#include "kernels/select_row.hpp"

namespace ringsim {

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw IoError(fmt::format("CUDA: {}: {}", what, cudaGetErrorString(status)));
}

void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw IoError(fmt::format("cuBLAS: {}: {}", what, cublasGetStatusString(status)));
}

// Device (or pinned host) memory for `count` T, grown on demand, freed with
// its owner.
template <class T, bool kPinned>
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }
  T* get(std::size_t count) {
    if (count > capacity_) {
      release();
      void* memory = nullptr;
      const std::size_t bytes = std::max<std::size_t>(count, 1) * sizeof(T);
      check(kPinned ? cudaMallocHost(&memory, bytes) : cudaMalloc(&memory, bytes),
            kPinned ? "cudaMallocHost" : "cudaMalloc");
      data_ = static_cast<T*>(memory);
      capacity_ = count;
    }
    return data_;
  }
  T* data() const { return data_; }

 private:
  void release() {
    if (data_) kPinned ? cudaFreeHost(data_) : cudaFree(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};
template <class T>
using DeviceBuffer = Buffer<T, false>;
template <class T>
using PinnedBuffer = Buffer<T, true>;

std::string uuid_text(const cudaUUID_t& uuid) {
  std::string text = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", static_cast<unsigned char>(uuid.bytes[i]));
  }
  return text;
}

template <class Scalar>
class CudaTileBackend final : public TileBackend<Scalar> {
 public:
  CudaTileBackend(const GpuInfo& gpu, std::int64_t edge, TileRule rule)
      : gpu_(gpu), edge_(edge), precision_(gemm_precision(gpu, rule)), exact_(rule.exact) {
    check(cudaSetDevice(gpu.index), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cublasCreate(&blas_), "cublasCreate");
    check(cublasSetStream(blas_, compute_), "cublasSetStream");
    // The default math mode keeps fp32 products in fp32 (TF32 tensor cores only
    // when asked for), without the pedantic mode's ban on faster fp32 algorithms.
    check(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  }
  CudaTileBackend(const CudaTileBackend&) = delete;
  CudaTileBackend& operator=(const CudaTileBackend&) = delete;
  ~CudaTileBackend() override {
    cudaStreamSynchronize(copy_);
    cudaStreamSynchronize(compute_);
    for (cudaEvent_t event : chunk_ready_) cudaEventDestroy(event);
    cublasDestroy(blas_);
    cudaStreamDestroy(copy_);
    cudaStreamDestroy(compute_);
  }

  std::string name() const override { return "cuda"; }

  void upload_own(const RowMatrix<Scalar>& given) override {
    own_host_ = &given;
    cols_ = given.cols();
    const RowMatrix<Scalar>& rows = gemm_operand(given, own_normalised_);
    if (rescore_) rescore_->set_own(given);
    const std::size_t size = static_cast<std::size_t>(rows.size());
    Scalar* device = own_.get(size);
    // Once per job: a plain synchronous copy.
    check(cudaMemcpy(device, rows.data(), size * sizeof(Scalar), cudaMemcpyHostToDevice), "upload of the own block");
    if constexpr (std::is_same_v<Scalar, float>)
      if (precision_ == GemmPrecision::bfloat16_tensor_cores)
        cuda::to_bfloat16(device, rows.size(), own_bf16_.get(size), compute_);
  }

  void upload_visiting(const RowMatrix<Scalar>& given) override {
    check(cudaStreamSynchronize(copy_), "the previous upload");  // staging_ is about to be refilled
    if (rescore_) rescore_->set_visiting(given);
    if (&given == own_host_) {  // step 0: the own block is already there
      visiting_host_ = nullptr;
      visiting_ = own_.data();
      visiting_bf16_ = own_bf16_.data();
      chunk_staged_.clear();
      return;
    }
    RINGSIM_ENFORCE(given.cols() == cols_, "visiting block of another width");
    const RowMatrix<Scalar>& rows = gemm_operand(given, visiting_normalised_);
    visiting_host_ = &rows;
    visiting_ = visiting_device_.get(static_cast<std::size_t>(rows.size()));
    if (precision_ == GemmPrecision::bfloat16_tensor_cores)
      visiting_bf16_ = visiting_bf16_device_.get(static_cast<std::size_t>(rows.size()));
    staging_.get(static_cast<std::size_t>(rows.size()));
    const std::size_t chunks = static_cast<std::size_t>((rows.rows() + edge_ - 1) / edge_);
    chunk_staged_.assign(chunks, false);
    while (chunk_ready_.size() < chunks) {
      cudaEvent_t event = nullptr;
      check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
      chunk_ready_.push_back(event);
    }
  }

  void tile(const TilePlace& place, std::int64_t m, std::int64_t nc, bool visiting_first,
            TileConsumer<Scalar>& consumer) override {
    need_visiting_rows(place.visiting_local, nc);
    const Scalar* own = own_.data() + place.own_local * cols_;
    const Scalar* visiting = visiting_ + place.visiting_local * cols_;
    // The tile's row side is the GEMM's left operand: whichever block comes first in the matrix.
    const cuda::TileShape shape = select_shape(place, m, nc, visiting_first);
    Scalar* scores = tile_.get(static_cast<std::size_t>(shape.m * shape.nc));
    consumer.set_rescore(rescore_ ? &*rescore_ : nullptr);
    if (precision_ == GemmPrecision::bfloat16_tensor_cores) {
      const std::uint16_t* own16 = own_bf16_.data() + place.own_local * cols_;
      const std::uint16_t* visiting16 = visiting_bf16_ + place.visiting_local * cols_;
      gemm_ex(visiting_first ? visiting16 : own16, visiting_first ? own16 : visiting16, shape.m, shape.nc, scores);
    } else {
      gemm(visiting_first ? visiting : own, visiting_first ? own : visiting, shape.m, shape.nc, scores);
    }
    if (rescore_) {
      if (!select_exact(scores, shape, place, visiting_first, consumer))
        hand_over_tile(scores, shape, place, visiting_first, consumer);
    } else if (auto* topk = dynamic_cast<TopKConsumer<Scalar>*>(&consumer)) {
      select_topk(scores, shape, visiting_first ? topk->visiting_lists() : topk->own_lists(),
                  visiting_first ? topk->own_lists() : topk->visiting_lists());
    } else if (auto* threshold = dynamic_cast<ThresholdConsumer<Scalar>*>(&consumer)) {
      if (!select_threshold(scores, shape, *threshold)) hand_over_tile(scores, shape, place, visiting_first, consumer);
    } else {
      hand_over_tile(scores, shape, place, visiting_first, consumer);
    }
  }

  // Also before the first upload: the engine asks it whether to keep the
  // rows as given (tile_backend.hpp's TileRule::exact).
  std::optional<TileRuleReport> rule_report() const override {
    if (!exact_) return std::nullopt;
    TileRuleReport report;
    report.precision = precision_;
    if (rescore_) report.bound = rescore_->bound(), report.rescored = rescore_->stats();
    return report;
  }

  void flush() override {
    check(cudaStreamSynchronize(compute_), "tile computation");
    check(cudaStreamSynchronize(copy_), "block upload");
  }

 private:
  // Stages, uploads and waits for the visiting rows [begin, begin + count), a
  // tile edge of rows at a time, each once per block.
  void need_visiting_rows(std::int64_t begin, std::int64_t count) {
    if (!visiting_host_ || count <= 0) return;
    const std::int64_t rows = visiting_host_->rows();
    for (std::int64_t chunk = begin / edge_; chunk <= (begin + count - 1) / edge_; ++chunk) {
      if (!chunk_staged_[static_cast<std::size_t>(chunk)]) {
        const std::int64_t first = chunk * edge_, last = std::min(rows, first + edge_);
        const std::size_t offset = static_cast<std::size_t>(first * cols_);
        const std::size_t bytes = static_cast<std::size_t>((last - first) * cols_) * sizeof(Scalar);
        std::memcpy(staging_.data() + offset, visiting_host_->data() + offset, bytes);
        check(cudaMemcpyAsync(visiting_device_.data() + offset, staging_.data() + offset, bytes, cudaMemcpyHostToDevice,
                              copy_),
              "upload of the visiting block");
        if constexpr (std::is_same_v<Scalar, float>)
          if (precision_ == GemmPrecision::bfloat16_tensor_cores)
            cuda::to_bfloat16(visiting_device_.data() + offset, (last - first) * cols_,
                              visiting_bf16_device_.data() + offset, copy_);
        check(cudaEventRecord(chunk_ready_[static_cast<std::size_t>(chunk)], copy_), "cudaEventRecord");
        chunk_staged_[static_cast<std::size_t>(chunk)] = true;
      }
      check(cudaStreamWaitEvent(compute_, chunk_ready_[static_cast<std::size_t>(chunk)], 0), "cudaStreamWaitEvent");
    }
  }

  // What the GEMM multiplies (the report's name and B): with the exact rule
  // float32 jobs may take TF32 or bfloat16 tensor cores; --precision auto
  // takes bfloat16 where the GPU has bfloat16 tensor cores (compute
  // capability 8.0 on), float32 elsewhere.
  static GemmPrecision gemm_precision(const GpuInfo& gpu, const TileRule& rule) {
    if constexpr (std::is_same_v<Scalar, double>) return GemmPrecision::float64;
    const bool native_bfloat16 = gpu.compute_capability >= 80;
    if (rule.bfloat16 && !native_bfloat16) {
      if (rule.automatic) return GemmPrecision::float32;
      throw InputError(fmt::format("--precision bfloat16: {} (compute capability {}.{}) has no bfloat16 tensor cores",
                                   gpu.name, gpu.compute_capability / 10, gpu.compute_capability % 10));
    }
    return rule.bfloat16 ? GemmPrecision::bfloat16_tensor_cores
           : rule.tf32   ? GemmPrecision::tf32
                         : GemmPrecision::float32;
  }

  // The rows the GEMM multiplies: under the exact rule a normalised copy
  // (kept in `normalised` until the next upload), else the rows as given.
  const RowMatrix<Scalar>& gemm_operand(const RowMatrix<Scalar>& given, RowMatrix<Scalar>& normalised) {
    if (!exact_) return given;
    if (!rescore_) rescore_.emplace(score_bound(precision_, std::max<std::int64_t>(1, given.cols())));
    normalised = given;
    normalize_rows(normalised);
    return normalised;
  }

  // scores (rows x cols, column-major) = left (rows x d) * right (cols x d)^T,
  // both row-major on the device (column-major d x rows to cuBLAS).
  void gemm(const Scalar* left, const Scalar* right, std::int64_t rows, std::int64_t cols, Scalar* scores) {
    const Scalar one = 1, zero = 0;
    const int r = static_cast<int>(rows), c = static_cast<int>(cols), d = static_cast<int>(cols_);
    if constexpr (std::is_same_v<Scalar, float>) {
      if (precision_ == GemmPrecision::tf32)
        check(cublasGemmEx(blas_, CUBLAS_OP_T, CUBLAS_OP_N, r, c, d, &one, left, CUDA_R_32F, d, right, CUDA_R_32F, d,
                           &zero, scores, CUDA_R_32F, r, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT),
              "cublasGemmEx (TF32)");
      else
        check(cublasSgemm(blas_, CUBLAS_OP_T, CUBLAS_OP_N, r, c, d, &one, left, d, right, d, &zero, scores, r),
              "cublasSgemm");
    } else
      check(cublasDgemm(blas_, CUBLAS_OP_T, CUBLAS_OP_N, r, c, d, &one, left, d, right, d, &zero, scores, r),
            "cublasDgemm");
  }

  // The same product on bfloat16 copies (bits), float32 accumulation.
  void gemm_ex(const std::uint16_t* left, const std::uint16_t* right, std::int64_t rows, std::int64_t cols,
               Scalar* scores) {
    if constexpr (std::is_same_v<Scalar, float>) {
      const float one = 1, zero = 0;
      const int r = static_cast<int>(rows), c = static_cast<int>(cols), d = static_cast<int>(cols_);
      check(cublasGemmEx(blas_, CUBLAS_OP_T, CUBLAS_OP_N, r, c, d, &one, left, CUDA_R_16BF, d, right, CUDA_R_16BF, d,
                         &zero, scores, CUDA_R_32F, r, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            "cublasGemmEx (bfloat16)");
    }
  }

  // The lists' current k-th scores (row side, then column side) on the GPU.
  const Scalar* upload_floors(const cuda::TileShape& shape, const TopKAccumulator<Scalar>& rows,
                              const TopKAccumulator<Scalar>& columns) {
    const std::size_t lists = static_cast<std::size_t>(shape.m + shape.nc);
    Scalar* floors_host = floors_host_.get(lists);
    std::copy_n(rows.kth_scores() + shape.row_local, shape.m, floors_host);
    std::copy_n(columns.kth_scores() + shape.col_local, shape.nc, floors_host + shape.m);
    Scalar* floors = floors_.get(lists);
    check(cudaMemcpyAsync(floors, floors_host, lists * sizeof(Scalar), cudaMemcpyHostToDevice, compute_),
          "upload of the floors");
    return floors;
  }

  // Exact rule: the tile's candidates nominated on the GPU with B, then
  // re-scored on the host and decided by the consumer; false when more were
  // nominated than the buffer holds (the caller then hands over the tile,
  // whose consumer nominates and re-scores on the host: nothing is dropped),
  // and for a consumer other than top-k and threshold.
  bool select_exact(const Scalar* scores, const cuda::TileShape& shape, const TilePlace& place, bool visiting_first,
                    TileConsumer<Scalar>& consumer) {
    const std::int64_t capacity = std::max<std::int64_t>(1 << 16, shape.m * shape.nc / 8);
    unsigned long long* count = count_.get(1);
    check(cudaMemsetAsync(count, 0, sizeof(*count), compute_), "cudaMemsetAsync");
    SelectCandidate* nominated = candidates_.get(static_cast<std::size_t>(capacity));
    if (auto* topk = dynamic_cast<TopKConsumer<Scalar>*>(&consumer)) {
      TopKAccumulator<Scalar>& rows = visiting_first ? topk->visiting_lists() : topk->own_lists();
      TopKAccumulator<Scalar>& columns = visiting_first ? topk->own_lists() : topk->visiting_lists();
      const Scalar* floors = upload_floors(shape, rows, columns);
      const int k = rows.k();
      const std::size_t slots = static_cast<std::size_t>((shape.m + shape.nc) * k);
      // The slacks of exact_topk.cpp: 2B and B, plus the rounding of the bars.
      const double bound = rescore_->bound();
      cuda::select_candidates(scores, shape, floors, floors + shape.m, k,
                              static_cast<Scalar>(2 * bound + kCandidateRoundingSlack),
                              static_cast<Scalar>(bound + kCandidateRoundingSlack), best_.get(slots),
                              best_ids_.get(slots), capacity, count, nominated, compute_);
    } else if (auto* threshold = dynamic_cast<ThresholdConsumer<Scalar>*>(&consumer)) {
      cuda::select_threshold_candidates(scores, shape, threshold->exact_bar(), capacity, count, nominated, compute_);
    } else {
      return false;  // another consumer: the host's rule on the whole tile
    }
    check(cudaGetLastError(), "candidate selection");
    unsigned long long* found_host = count_host_.get(1);
    check(cudaMemcpyAsync(found_host, count, sizeof(*count), cudaMemcpyDeviceToHost, compute_), "download");
    check(cudaStreamSynchronize(compute_), "candidate selection");
    const std::int64_t found = static_cast<std::int64_t>(*found_host);
    if (found > capacity) return false;
    SelectCandidate* host = candidates_host_.get(static_cast<std::size_t>(found));
    check(cudaMemcpyAsync(host, nominated, static_cast<std::size_t>(found) * sizeof(SelectCandidate),
                          cudaMemcpyDeviceToHost, compute_),
          "download of the candidates");
    check(cudaStreamSynchronize(compute_), "download of the candidates");
    offer_candidates(shape, place, visiting_first, host, found, consumer);
    return true;
  }

  // Top k of each row and column of the tile on the GPU, from the lists'
  // current floors; only those candidates cross back and are offered.
  void select_topk(const Scalar* scores, const cuda::TileShape& shape, TopKAccumulator<Scalar>& rows,
                   TopKAccumulator<Scalar>& columns) {
    const int k = rows.k();
    const std::size_t lists = static_cast<std::size_t>(shape.m + shape.nc);
    const Scalar* floors = upload_floors(shape, rows, columns);
    Scalar* best = best_.get(lists * k);
    std::int64_t* best_ids = best_ids_.get(lists * k);
    cuda::select_topk(scores, shape, floors, floors + shape.m, k, best, best_ids, best + shape.m * k,
                      best_ids + shape.m * k, compute_);
    check(cudaGetLastError(), "top-k selection");
    Scalar* best_host = best_host_.get(lists * k);
    std::int64_t* ids_host = best_ids_host_.get(lists * k);
    check(cudaMemcpyAsync(best_host, best, lists * k * sizeof(Scalar), cudaMemcpyDeviceToHost, compute_),
          "download of the candidates");
    check(cudaMemcpyAsync(ids_host, best_ids, lists * k * sizeof(std::int64_t), cudaMemcpyDeviceToHost, compute_),
          "download of the candidates");
    check(cudaStreamSynchronize(compute_), "top-k selection");
    offer_selected(shape, k, best_host, ids_host, rows, columns);
  }

  // Pairs at or above the threshold, found on the GPU; false when more
  // qualified than the pair buffer holds (the caller then hands over the tile).
  bool select_threshold(const Scalar* scores, const cuda::TileShape& shape, ThresholdConsumer<Scalar>& consumer) {
    const std::int64_t capacity = std::max<std::int64_t>(1 << 16, shape.m * shape.nc / 8);
    unsigned long long* count = count_.get(1);
    check(cudaMemsetAsync(count, 0, sizeof(*count), compute_), "cudaMemsetAsync");
    std::int32_t* pair_i = pair_i_.get(static_cast<std::size_t>(capacity));
    std::int32_t* pair_j = pair_j_.get(static_cast<std::size_t>(capacity));
    Scalar* pair_score = pair_score_.get(static_cast<std::size_t>(capacity));
    cuda::select_threshold(scores, shape, consumer.threshold(), capacity, count, pair_i, pair_j, pair_score, compute_);
    check(cudaGetLastError(), "threshold selection");
    unsigned long long* found_host = count_host_.get(1);
    check(cudaMemcpyAsync(found_host, count, sizeof(*count), cudaMemcpyDeviceToHost, compute_), "download");
    check(cudaStreamSynchronize(compute_), "threshold selection");
    const std::int64_t found = static_cast<std::int64_t>(*found_host);
    if (found > capacity) return false;
    if (found == 0) return true;
    std::int32_t* i_host = pair_i_host_.get(static_cast<std::size_t>(found));
    std::int32_t* j_host = pair_j_host_.get(static_cast<std::size_t>(found));
    Scalar* score_host = pair_score_host_.get(static_cast<std::size_t>(found));
    const std::size_t n = static_cast<std::size_t>(found);
    check(cudaMemcpyAsync(i_host, pair_i, n * sizeof(std::int32_t), cudaMemcpyDeviceToHost, compute_), "download");
    check(cudaMemcpyAsync(j_host, pair_j, n * sizeof(std::int32_t), cudaMemcpyDeviceToHost, compute_), "download");
    check(cudaMemcpyAsync(score_host, pair_score, n * sizeof(Scalar), cudaMemcpyDeviceToHost, compute_), "download");
    check(cudaStreamSynchronize(compute_), "download of the pairs");
    for (std::size_t p = 0; p < n; ++p)
      consumer.add(shape.row_id0 + i_host[p], shape.col_id0 + j_host[p], score_host[p]);
    return true;
  }

  // Full mode (and any other consumer): the tile itself crosses back.
  void hand_over_tile(const Scalar* scores, const cuda::TileShape& shape, const TilePlace& place, bool visiting_first,
                      TileConsumer<Scalar>& consumer) {
    const std::size_t count = static_cast<std::size_t>(shape.m * shape.nc);
    Scalar* host = tile_host_.get(count);
    check(cudaMemcpyAsync(host, scores, count * sizeof(Scalar), cudaMemcpyDeviceToHost, compute_), "download");
    check(cudaStreamSynchronize(compute_), "download of a tile");
    host_tile_ = Eigen::Map<const ColMatrix<Scalar>>(host, shape.m, shape.nc);
    if (visiting_first)
      consumer.consume_transposed(host_tile_, place);
    else
      consumer.consume(host_tile_, place);
  }

  GpuInfo gpu_;
  std::int64_t edge_;
  GemmPrecision precision_;
  bool exact_;
  // Exact rule only: the canonical scores' rows and bound, the GEMM's
  // normalised host copies and (bfloat16) device copies as bits.
  std::optional<ExactRescore<Scalar>> rescore_;
  RowMatrix<Scalar> own_normalised_, visiting_normalised_;
  DeviceBuffer<std::uint16_t> own_bf16_, visiting_bf16_device_;
  const std::uint16_t* visiting_bf16_ = nullptr;
  DeviceBuffer<SelectCandidate> candidates_;
  PinnedBuffer<SelectCandidate> candidates_host_;
  std::int64_t cols_ = 0;
  cudaStream_t compute_ = nullptr, copy_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  const RowMatrix<Scalar>* own_host_ = nullptr;
  const RowMatrix<Scalar>* visiting_host_ = nullptr;  // null: the visiting block is the own one
  const Scalar* visiting_ = nullptr;                  // on the device
  std::vector<bool> chunk_staged_;
  std::vector<cudaEvent_t> chunk_ready_;
  DeviceBuffer<Scalar> own_, visiting_device_, tile_, floors_, best_, pair_score_;
  DeviceBuffer<std::int64_t> best_ids_;
  DeviceBuffer<std::int32_t> pair_i_, pair_j_;
  DeviceBuffer<unsigned long long> count_;
  PinnedBuffer<Scalar> staging_, floors_host_, best_host_, pair_score_host_, tile_host_;
  PinnedBuffer<std::int64_t> best_ids_host_;
  PinnedBuffer<std::int32_t> pair_i_host_, pair_j_host_;
  PinnedBuffer<unsigned long long> count_host_;
  ColMatrix<Scalar> host_tile_;
};

}  // namespace

GpuInfo open_gpu(int local_rank) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    throw InputError(fmt::format("--device cuda: no GPU is visible to this rank ({}{}); use --device cpu",
                                 status != cudaSuccess ? cudaGetErrorString(status) : "the CUDA runtime found none",
                                 visible ? fmt::format(", CUDA_VISIBLE_DEVICES='{}'", visible) : ""));
  }
  GpuInfo info;
  info.visible = count;
  info.index = gpu_for_local_rank(local_rank, count);
  cudaDeviceProp properties{};
  check(cudaGetDeviceProperties(&properties, info.index), "cudaGetDeviceProperties");
  info.name = properties.name;
  info.memory_bytes = properties.totalGlobalMem;
  info.uuid = uuid_text(properties.uuid);
  info.compute_capability = properties.major * 10 + properties.minor;
  check(cudaSetDevice(info.index), "cudaSetDevice");
  return info;
}

template <class Scalar>
std::unique_ptr<TileBackend<Scalar>> make_cuda_backend(const GpuInfo& gpu, std::int64_t tile_edge, TileRule rule) {
  return std::make_unique<CudaTileBackend<Scalar>>(gpu, tile_edge, rule);
}

template std::unique_ptr<TileBackend<float>> make_cuda_backend<float>(const GpuInfo&, std::int64_t, TileRule);
template std::unique_ptr<TileBackend<double>> make_cuda_backend<double>(const GpuInfo&, std::int64_t, TileRule);

}  // namespace ringsim

#pragma once
// Matrix types shared by kernels and engine. Blocks of rows are row-major so
// that a block is one contiguous buffer on disk (.npy) and on the wire.
#include <Eigen/Dense>
#include <cstdint>

namespace ringsim {

template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Similarity tiles are column-major: column j is one visiting row scored
// against every own row, contiguous, which is what fused selection scans.
template <class Scalar>
using ColMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

}  // namespace ringsim

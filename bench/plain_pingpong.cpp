// An independent MPI ping-pong (plain MPI_Send / MPI_Recv, nothing from
// ringsim), used to check `ringsim bench transport --transport mpi`.
// Usage: mpirun -np 2 plain_pingpong SIZE...   prints "bytes median_us MB/s"
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (int a = 1; a < argc; ++a) {
    const long bytes = std::atol(argv[a]);
    std::vector<char> buffer(static_cast<size_t>(bytes), 1);
    const int reps = static_cast<int>(std::clamp(5e8 / static_cast<double>(bytes), 5.0, 1000.0));
    std::vector<double> one_way;
    for (int r = 0; r < reps + reps / 10 + 2; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      const double start = MPI_Wtime();
      if (rank == 0) {
        MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, MPI_COMM_WORLD);
      }
      if (r >= reps / 10 + 2) one_way.push_back((MPI_Wtime() - start) / 2);
    }
    std::sort(one_way.begin(), one_way.end());
    const double median = one_way[one_way.size() / 2];
    if (rank == 0) std::printf("%ld %.3f %.1f\n", bytes, median * 1e6, bytes / median / 1e6);
  }
  MPI_Finalize();
  return 0;
}

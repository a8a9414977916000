#include "engine/query_input.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"
#include "engine/run_options.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

QueryInput open_queries(const RunOptions& options, const LocalInput& corpus, std::int64_t cols,
                        const Communicator& comm) {
  QueryInput queries;
  run_agreed(comm, [&] {
    queries.source =
        options.query_rows
            ? MatrixSource::from_memory(*options.query_rows, options.queries)
            : MatrixSource::open(options.queries, /*allow_empty=*/false,
                                 CsvOptions{.header = options.csv_header, .index_col = options.csv_index_col});
    if (queries.source.rows() > 0 && queries.source.cols() != cols)
      throw InputError(fmt::format("--queries {} has {} columns, the corpus (--input {}) {}; they must match",
                                   options.queries, queries.source.cols(), options.input, cols));
  });
  const std::int64_t rows = agreed_rows(comm, queries.source.rows(), "--queries");
  queries.partition = corpus.rank_gflops.empty() ? RowPartition::even(rows, comm.size(), options.tile)
                                                 : RowPartition::weighted(rows, corpus.rank_gflops, options.tile);
  return queries;
}

}  // namespace ringsim

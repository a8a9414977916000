// ringsim._engine: the engine inside a Python process. python/ringsim wraps
// it (temporary output folders, dtype checks, reading results back with
// ringsim.read); docs/python.md is the user's guide.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>

#include "common/build_info.hpp"
#include "common/errors.hpp"
#include "engine/thread_job.hpp"
#include "kernels/gemm_backend.hpp"
#include "launcher/host_cores.hpp"
#include "python/module/job_options.hpp"
#include "python/module/mpi_job.hpp"
#include "python/module/numpy_rows.hpp"
#include "python/module/polled_call.hpp"

namespace py = pybind11;

namespace ringsim {

namespace {

using NamedOptions = std::map<std::string, std::string>;

// Views of X and the queries, which RunOptions points at: they live as long
// as the call (the caller's arrays outlive them).
struct JobInput {
  std::optional<InMemoryRows> rows;  // none: options.input names a file
  std::optional<InMemoryRows> queries;
};

RunOptions options_with_rows(const NamedOptions& named, const JobInput& input) {
  RunOptions options = job_options(named);
  options.input_rows = input.rows ? &*input.rows : nullptr;
  options.query_rows = input.queries ? &*input.queries : nullptr;
  return options;
}

JobInput job_input(const std::optional<py::array>& rows, const std::optional<py::array>& queries) {
  JobInput input;
  if (rows) input.rows = rows_of(*rows, "X");
  if (queries) input.queries = rows_of(*queries, "queries");
  return input;
}

void run_threads(const NamedOptions& named, int ranks, const std::optional<py::array>& rows,
                 const std::optional<py::array>& queries, py::object progress) {
  const JobInput input = job_input(rows, queries);
  RunOptions options = options_with_rows(named, input);
  PolledCall call(std::move(progress));
  options.on_progress = call.progress_sink();
  call.run([&](const std::function<bool()>& stop) { run_thread_job(options, ranks, stop); });
}

void run_mpi(const NamedOptions& named, std::uintptr_t comm_handle, const std::optional<py::array>& rows,
             const std::optional<py::array>& queries) {
  const JobInput input = job_input(rows, queries);
  const RunOptions options = options_with_rows(named, input);
  py::gil_scoped_release released;
  run_mpi_job(options, comm_handle);
}

py::object physical_core_count() {
  const auto cores = physical_cores("/sys");
  if (!cores) return py::none();
  return py::make_tuple(cores->cores, cores->why);
}

}  // namespace

}  // namespace ringsim

PYBIND11_MODULE(_engine, module) {
  using namespace ringsim;
  module.doc() = "ringsim's engine in this process (docs/python.md); use it through the ringsim package";
  py::register_exception<Error>(module, "EngineError", PyExc_RuntimeError);
  module.def("run_threads", &run_threads, py::arg("options"), py::arg("ranks"), py::arg("rows"),
             py::arg("queries") = py::none(), py::arg("progress") = py::none(),
             "Runs one job as `ranks` threads; results go to options['out'].");
  module.def("run_mpi", &run_mpi, py::arg("options"), py::arg("comm_handle"), py::arg("rows"),
             py::arg("queries") = py::none(),
             "Runs one job over an mpi4py communicator (MPI._handleof(comm)); rank 0 writes options['out'].");
  module.def("physical_cores", &physical_core_count,
             "(cores, why): the physical cores this process may use, or None when sysfs cannot tell.");
  module.def("gemm_backend", &gemm_backend, "The GEMM the tiles use, e.g. 'openblas (SkylakeX kernels)'.");
  // OpenBLAS chose its kernels when the process loaded it (numpy usually
  // does, before ringsim): "" when they are the CPU's best, else the core
  // type to start Python with (OPENBLAS_CORETYPE, kernels/gemm_backend.hpp).
  module.def("preferred_openblas_coretype", &preferred_openblas_coretype);
  module.attr("version") = ringsim_version_text();
  module.attr("release") = ringsim_release();
}

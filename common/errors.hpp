#pragma once
// One base error type for the whole project; subclasses say which boundary
// failed so that callers can decide whether a retry or a message is right.
// Policy (docs/errors.md): recoverable problems with input, peers or the
// system are thrown as one of these with the culprit named in what();
// broken invariants use RINGSIM_ENFORCE, which adds file:line.
#include <stdexcept>
#include <string>

namespace ringsim {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad user input: options, files, shapes, values.
class InputError : public Error {
 public:
  using Error::Error;
};

// SageMaker / launcher configuration.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// Operating-system I/O: files, sockets.
class IoError : public Error {
 public:
  using Error::Error;
};

// A peer closed its connection: usually the echo of an error on that peer,
// so collective error reports prefer any other error over this one.
class PeerClosedError : public IoError {
 public:
  using IoError::IoError;
};

// A wait that ran past its deadline.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

// TLS handshake, verification or record failures.
class TlsError : public Error {
 public:
  using Error::Error;
};

// An MPI call that returned an error code.
class MpiError : public Error {
 public:
  using Error::Error;
};

// A broken invariant inside ringsim itself.
class InternalError : public Error {
 public:
  using Error::Error;
};

// The job was asked to stop (a stop signal, or run_thread_job's
// stop_requested) and stopped without publishing its outputs.
class StoppedError : public Error {
 public:
  using Error::Error;
};
using Stopped = StoppedError;

// strerror(errno) with the given context, as an IoError.
[[noreturn]] void throw_errno(const std::string& context);

[[noreturn]] void enforce_failed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace ringsim

#define RINGSIM_ENFORCE(cond, msg)                                            \
  do {                                                                        \
    if (!(cond)) ::ringsim::enforce_failed(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)

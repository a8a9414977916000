#pragma once
// How many cores the ranks have, per machine: what decides whether a rank's
// TLS records are pipelined (the sender and receiver threads pay off only on
// cores of their own), and what `bench transport` divides CPU time by.
#include "transport/communicator.hpp"

namespace ringsim {

struct MachineCores {
  int own = 1;            // CPUs this rank may run on (its affinity mask; mpirun may bind it to one)
  int machine = 1;        // CPUs the ranks of this rank's machine may run on, together
  int machine_ranks = 1;  // ranks on this rank's machine
  int all = 1;            // CPUs of every machine the ranks run on, each counted once
};

// Collective. A machine is told by its kernel's boot id, not a host name:
// every SageMaker container is called "aws", and network namespaces on one
// machine (a test bed's hosts) share its cores.
MachineCores machine_cores(const Communicator& comm);

}  // namespace ringsim

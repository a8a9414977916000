#pragma once
// Fault injection for the fault suite (tests/cli/fault_injection.sh), off
// unless RINGSIM_FAULT is set:
//   RINGSIM_FAULT=RANK:POINT:SIGNAL   e.g. 1:load:STOP, 0:write-file:TERM
// The rank raises SIGNAL (KILL, STOP or TERM) on itself when it reaches
// POINT: a phase name (load, connect, ring, gather, write) or a finer point
// named in the code (write-file: rank 0 with an output file half written;
// shared-step: entering the even ring's shared middle step; checkpoint-S:
// right after step S was saved; checkpoint-writing-S: before this rank
// writes step S; checkpoint-written-S: every rank wrote step S, the older
// step not yet removed).
// SIGNAL THROW throws an InternalError there instead; it is the only one a
// rank that is a thread (common/thread_rank.hpp) honours, a signal reaching
// every thread of the process.
// Raising the signal on itself makes every fault land exactly in the phase a
// test names, which an outside `kill` at a guessed moment cannot.
namespace ringsim {

void inject_fault_at(const char* point, int rank);

}  // namespace ringsim

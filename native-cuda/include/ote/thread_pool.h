// A process-wide pool of worker threads for the CPU drivers. The calling thread takes part in the work.
#pragma once
#include <stdint.h>
#include <functional>
#include "job_control.h"

namespace ote {

// Worker count: OTE_THREADS if set, else the hardware concurrency.
unsigned thread_count();

// Run body(begin, end) over [0, count) in chunks of `grain` on all threads.
// Stops handing out chunks once ctl is cancelled and then returns Status::Cancelled.
// Reports progress as finished chunks / total chunks.
Status parallel_for(uint64_t count, uint64_t grain, const std::function<void(uint64_t, uint64_t)>& body,
                    const JobControl& ctl);

}  // namespace ote

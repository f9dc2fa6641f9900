// Sleeping until a shared word changes, across processes, without polling.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

// Sleeps while *word == expected, at most timeout_ns. Returns on wake-up,
// timeout, signal or a changed word; the caller re-checks its condition.
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_ns);

// Wakes every process sleeping on `word`.
void futex_wake_all(std::atomic<uint32_t>* word);

}  // namespace sluice

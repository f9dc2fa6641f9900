// The three ways a call can fail, so callers (the PHP glue) can map each one to
// the exception its users expect without parsing messages.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sluice {

// The caller passed something unusable: empty key, limit < 1, ttl <= 0, ...
class InvalidArgument : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The segment cannot be used: permissions, foreign layout, corrupt header,
// unrecoverable mutex, out of shared memory.
class SegmentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The segment is sound but full: no free key record or lease record.
class CapacityError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Internal to the core: a record of the segment failed a bounds or
// consistency check (any process of the segment's group can write it). Never
// leaves the lease table: the lock holder repairs the table around the record
// instead of following it (see LeaseTable::locked()).
class CorruptRecord : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws CorruptRecord naming the record: "<what> <index>: <value>".
[[noreturn]] void corrupt_record(const char* what, uint64_t index, uint64_t value);

}  // namespace sluice

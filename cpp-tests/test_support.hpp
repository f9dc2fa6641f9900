// Shared fixtures for the core tests: a fresh, uniquely named segment per
// test (removed afterwards), small helpers to build requests, and child
// processes with a pipe to say when they got somewhere.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "sluice/clock.hpp"
#include "sluice/connection.hpp"
#include "sluice/errors.hpp"
#include "sluice/lease_table.hpp"
#include "sluice/segment.hpp"

namespace sluice::test {

inline std::string unique_segment_name() {
    static int counter = 0;
    return "gtest-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

inline constexpr int64_t kMinute = 60 * kNsPerSecond;

// Expects `call` to throw a SegmentError whose message contains every one of `parts`.
inline void expect_segment_error(const std::function<void()>& call, std::initializer_list<const char*> parts) {
    try {
        call();
        ADD_FAILURE() << "no SegmentError was thrown";
    } catch (const SegmentError& e) {
        const std::string what = e.what();
        for (const char* part : parts) EXPECT_NE(what.find(part), std::string::npos) << what;
    }
}

// Runs `body` in a child process; the child exits 0 when body returns true.
inline pid_t spawn(const std::function<bool()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        bool ok = false;
        try {
            ok = body();
        } catch (...) {
        }
        ::_exit(ok ? 0 : 1);
    }
    return pid;
}

inline int wait_exit_code(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A pipe the child writes one byte to when it reaches the point of interest.
struct Signal {
    int fds[2];
    Signal() { EXPECT_EQ(::pipe(fds), 0); }
    ~Signal() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    void notify() const { EXPECT_EQ(::write(fds[1], "x", 1), 1); }
    void wait() const {
        char c;
        ASSERT_EQ(::read(fds[0], &c, 1), 1);
    }
};

class TableTest : public ::testing::Test {
protected:
    void SetUp() override {
        options.name = unique_segment_name();
        options.max_keys = 8;
        options.slots_per_key = 8;
        options.max_leases = 32;
        open();
    }
    void TearDown() override {
        table.reset();
        segment.reset();
        Segment::remove(options.name);
    }
    void open() {
        table.reset();
        segment = Segment::attach(options);
        table = std::make_unique<LeaseTable>(*segment);
    }
    // A fresh segment under the same name with other capacities.
    void recreate_with(const std::function<void(SegmentOptions&)>& change) {
        table.reset();
        segment.reset();
        Segment::remove(options.name);
        change(options);
        open();
    }

    // One key, one limit.
    AcquireResult take(uint32_t key, uint32_t limit, int64_t ttl_ns = kMinute, std::string_view label = "") {
        SlotRequest r{&key, &limit, 1, ttl_ns, label};
        return table->try_acquire(r);
    }
    AcquireResult take(const std::vector<uint32_t>& keys, const std::vector<uint32_t>& limits,
                       int64_t ttl_ns = kMinute) {
        SlotRequest r{keys.data(), limits.data(), keys.size(), ttl_ns, ""};
        return table->try_acquire(r);
    }
    bool release(const AcquireResult& r) { return table->release(r.grant.lease_index, r.grant.token); }
    KeyInfo key_info(const std::string& name) {
        for (auto& k : table->snapshot().keys)
            if (k.key == name) return k;
        ADD_FAILURE() << "no key " << name;
        return {};
    }

    SegmentOptions options;
    std::unique_ptr<Segment> segment;
    std::unique_ptr<LeaseTable> table;
};

}  // namespace sluice::test

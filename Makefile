# Sluice: the two commands a new machine needs are `make demo` and `make test`.
# Everything else here is a step of those two.
SHELL := /bin/bash
JOBS ?= 2
EXT := $(CURDIR)/ext-build/modules/sluice.so
PHP_EXT := php -d extension=$(EXT)

.PHONY: demo demo-fpm demo-cli test deps phpstan core ext test-core test-sanitizers test-php test-fpm test-plugin test-apache bench bench-core bench-php bench-fpm bench-gate bench-db bench-backends bench-burn-in bench-line bench-load bench-adaptive bench-budget bench-capacity chaos fuzz clean

# The burn-in: Debian's WordPress + the Data Machine fixture + a fake provider that takes one request at a
# time; three flows through 4 queue runners (CLI, WP-Cron through PHP-FPM joining), three runs: Data Machine's
# own limiter (Sluice off), Sluice with a fixed delay (waiting line off), Sluice with its waiting line.
demo: deps ext
	demo/burn-in.sh

# The extension alone under PHP-FPM behind nginx: HTTP clients contending, a holding worker killed half-way.
demo-fpm: deps ext
	demo/fpm-demo.sh

# The extension's story with plain `php` processes.
demo-cli: deps ext
	. tools/stack.d/sluice.bash; seg=demo-cli-$$$$; $(PHP_EXT) -d sluice.segment=$$seg demo/contention.php; rc=$$?; sluice_remove_segment $(EXT) $$seg; exit $$rc

test: deps phpstan test-core test-sanitizers test-php test-fpm test-plugin test-apache
	@echo "make test: every suite passed"

deps:
	@tools/install-deps

core:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS)

ext:
	tools/build-ext

test-core: core
	cd build && ctest --output-on-failure -j1

# ASan+UBSan with the full stress test; TSan with a shorter one (it runs ~10x slower).
test-sanitizers:
	cmake -S . -B build-asan -DSANITIZE=address,undefined >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j1
	cmake -S . -B build-tsan -DSANITIZE=thread >/dev/null
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && SLUICE_STRESS_OPS=20000 ctest --output-on-failure -j1

# Static analysis of wp-plugin/sluice (level 8) against the WordPress, Action Scheduler and extension APIs.
phpstan:
	tools/phpstan/run

test-php: ext
	tools/run-php-tests

test-fpm: ext
	tools/run-fpm-tests

# The WordPress plugin's suites on a real WordPress (stack up, tests, stack down); honours
# SLUICE_ACTION_SCHEDULER_DIR (a real Action Scheduler) and prints which Action Scheduler ran.
test-plugin: deps ext
	tools/run-plugin-tests

# The extension and the plugin under Apache prefork with mod_php, over HTTP: Apache children and CLI runners
# on one segment, a killed child's slot drained then reclaimed, the gate end to end through WordPress on Apache.
test-apache: deps ext
	tools/run-apache-tests

# Every benchmark (bench-capacity runs bench-budget's run after its own).
bench: bench-core bench-php bench-fpm bench-gate bench-db bench-backends bench-line bench-load bench-adaptive bench-capacity

bench-core:
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSLUICE_BENCH=ON -DSLUICE_TESTS=OFF >/dev/null
	cmake --build build-bench -j$(JOBS)
	./build-bench/sluice_bench

bench-php: ext
	bench/php-pairs.sh

bench-fpm: ext
	bench/fpm-gate.sh

# The WordPress gate: its cost per action (admit, defer), SQL queries per AI action with and without Data
# Machine's limiter, queries per deferral, makespan / ideal, the waiting line against the timer alone.
bench-gate: deps ext
	bench/gate.sh

# The database backend's acquire + release pair (time, SQL queries) against Data Machine's option lease,
# MariaDB GET_LOCK + RELEASE_LOCK and the native backend, with ratios, in one run on a bed of its own.
bench-db: deps ext
	bench/db-backend.sh

# The three lease stores in one run: the pair and a release with hand-off on native, database and Redis (time,
# SQL queries, Redis round trips), two PHP-FPM pools in separate IPC namespaces sharing one Redis, and a burn-in
# whose Redis is killed and restarted empty in the middle; its last line is `backends native_us=...`.
bench-backends: deps ext
	bench/backends.sh

# The burn-in once with Sluice on; its last line is the machine-readable summary (with handoff_ms_median,
# one AI step's end to the next one's start at limit 1).
bench-burn-in: deps ext
	bench/burn-in.sh

# The waiting line against the fixed delay in one run: makespan / ideal at 3 x 4 items (limit 1) and 3 x 10
# (limit 2) with 2 s calls, hand-off delay (median, p90), SQL queries per deferral and per wake, Action
# Scheduler rows per deferred item; prints which Action Scheduler ran.
bench-line: deps ext
	bench/line.sh

# The burn-in under load: 8 CLI queue runners (WP-Cron through PHP-FPM joining) x 3 flows x 100 items, Sluice on,
# a provider that takes 2 at once; its last line says items lost, jobs failed and the provider's most in flight.
bench-load: deps ext
	bench/load.sh

# The provider protection: 3 flows x 20 items, 2 s calls, ceiling 8 against the capacity schedule 4/1/3: Sluice
# adaptive, fixed 1, fixed 8 and Data Machine's own limiter; the outage; the backoff storm. Its last line is
# `adaptive goodput_ratio=...`, the one before it `outage failed=...`.
bench-adaptive: deps ext
	bench/adaptive.sh

# The rate budgets against a provider that enforces 30 requests a minute (bench/budget.sh; last line: budget ...).
bench-budget: deps ext
	bench/budget.sh

# The capacity view against known queues (bench/capacity.sh: Poisson arrivals, gamma service times with CV 0.3 and
# 1.5 at rho 0.5 and 0.85; per run the view beside the run's own measurement), then the budget run
# (bench/budget.sh), about 20 minutes in all. Both lines are printed: `capacity lambda_error=... rho_error=...
# wait_error=... runs=4` first, `budget provider_429s=...` last; it fails if either run failed.
bench-capacity: deps ext
	rc=0; bench/capacity.sh || rc=$$?; bench/budget.sh && exit $$rc

# The 10,000-kill chaos run reported in README (CI runs 300 through ctest).
chaos: core
	./build/sluice_chaos --kills 10000

# The segment fuzz soak reported in README: 20,000 rounds of random bytes in a live segment's records while
# workers use every operation (CI runs 1,000 through ctest, also under ASan+UBSan and TSan).
fuzz: core
	./build/sluice_fuzz --rounds 20000

clean:
	rm -rf build build-asan build-tsan build-bench ext-build

<?php
// What a process that drives the test bed loads first (the plugin's suites,
// the burn-in, the benchmarks): the support library, Action Scheduler's store
// state as SLUICE_ACTION_SCHEDULER_STATE asks (ActionSchedulerState: migrated
// or hybrid, set in a process of its own before this one loads WordPress),
// then the site's WordPress (load.php). Queue runners and the other child
// processes load load.php alone. Required at global scope.
declare(strict_types=1);

require_once dirname(__DIR__) . '/autoload.php';

Sluice\Support\WordPress\ActionSchedulerState::establish();
require __DIR__ . '/load.php';

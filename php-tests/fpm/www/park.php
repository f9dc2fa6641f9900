<?php
// park.php?key=K&limit=L
// Needs sluice.test_hooks=1. The acquire below stops forever inside the
// segment's critical section (holding its robust mutex): the test SIGKILLs
// this worker there. It never answers on its own.
declare(strict_types=1);
require __DIR__ . '/common.php';

respond(function (): array {
    $limiter = new Sluice\Limiter([param('key') => (int) param('limit', '1')]);
    Sluice\Testing\park_next_acquire_in_critical_section();
    $limiter->tryAcquire('parked');
    return [500, ['result' => 'error', 'message' => 'park.php returned: the test hook did not park']];
});

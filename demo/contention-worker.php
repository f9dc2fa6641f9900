<?php
// One demo worker: takes a slot when it can, "calls the provider" (sleeps)
// while holding it, and reports its totals as JSON when its time is up.
declare(strict_types=1);

[$script, $id, $key, $limit, $seconds] = $argv;
$limiter = new Sluice\Limiter([$key => (int) $limit], 30);
$deadline = hrtime(true) + (int) ($seconds * 1e9);
$grants = $throttles = 0;
while (hrtime(true) < $deadline) {
    $lease = $limiter->tryAcquire("demo worker $id");
    if ($lease === null) {
        $throttles++;
        usleep(20000);
        continue;
    }
    $grants++;
    usleep(random_int(80000, 200000));  // the AI call
    $lease->release();
}
echo json_encode(['grants' => $grants, 'throttles' => $throttles]), "\n";

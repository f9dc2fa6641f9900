<?php
// status.php[?key=K]: Sluice\status() (one key or all) and Sluice\segment_info()
// as this FPM worker (www-data) sees them.
declare(strict_types=1);
require __DIR__ . '/common.php';

respond(function (): array {
    $status = Sluice\status();
    if (isset($_GET['key'])) {
        $status = isset($status[$_GET['key']]) ? [$_GET['key'] => $status[$_GET['key']]] : [];
    }
    return [200, ['result' => 'ok', 'status' => $status, 'info' => Sluice\segment_info()]];
});

<?php
// Health page for tools/stack: which SAPI and user serve requests, whether the
// sluice extension is loaded, and with ?db=tcp or ?db=socket whether MariaDB
// answers through mysqli (credentials come from the pool's env[] settings).
header('Content-Type: text/plain');

$euid = function_exists('posix_geteuid') ? posix_geteuid() : -1;
$pw   = ($euid >= 0 && function_exists('posix_getpwuid')) ? posix_getpwuid($euid) : false;

echo 'sapi=' . php_sapi_name() . "\n";
echo 'user=' . ($pw ? $pw['name'] : '?') . "\n";
echo "euid=$euid\n";
echo 'pid=' . getmypid() . "\n";
echo 'php=' . PHP_VERSION . "\n";
echo 'sluice=' . (extension_loaded('sluice') ? 'loaded' : 'absent') . "\n";

$mode = $_GET['db'] ?? '';
if ($mode !== '') {
    mysqli_report(MYSQLI_REPORT_OFF);
    $socket = $mode === 'socket' ? getenv('SLUICE_DB_SOCKET') : null;
    $db = @mysqli_connect(
        $mode === 'socket' ? 'localhost' : getenv('SLUICE_DB_HOST'),
        getenv('SLUICE_DB_USER'),
        getenv('SLUICE_DB_PASSWORD'),
        getenv('SLUICE_DB_NAME'),
        (int) getenv('SLUICE_DB_PORT'),
        $socket
    );
    if (!$db) {
        http_response_code(500);
        echo "db=error " . mysqli_connect_error() . "\n";
        exit;
    }
    $row = mysqli_query($db, 'SELECT 1 AS one, CURRENT_USER() AS who')->fetch_assoc();
    echo "db=ok via=$mode one={$row['one']} as={$row['who']}\n";
}

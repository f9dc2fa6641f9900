<?php
// Constants WordPress defines at run time (wp-config.php, wp-includes/wp-db.php),
// which the stubs do not declare. Only the ones the plugin uses; PHPStan loads
// this file, the plugin never does. ABSPATH, DB_HOST and DB_NAME are listed
// in phpstan.neon's dynamicConstantNames, so only their type (string) counts.
define('ABSPATH', '/');
define('DB_HOST', 'localhost');
define('DB_NAME', 'wordpress');
define('OBJECT', 'OBJECT');
define('ARRAY_A', 'ARRAY_A');
define('ARRAY_N', 'ARRAY_N');

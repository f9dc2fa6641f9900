<?php
// Front controller of the bare stack: nginx routes every unknown path here
// (try_files ... /index.php?$args), the way WordPress is served later.
header('Content-Type: text/plain');
echo "sluice stack: index.php\n";
echo 'uri=' . ($_SERVER['REQUEST_URI'] ?? '') . "\n";

<?php
// The tiny endpoint of bench/fpm-gate.sh, without the gate (round A).
header('Content-Type: text/plain');
echo "ok\n";

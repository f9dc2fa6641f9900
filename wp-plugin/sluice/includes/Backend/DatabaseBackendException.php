<?php
/**
 * The database backend could not read or write its tables (a missing table,
 * a lost connection, a lock wait that never ended): the gate then lets the
 * work run ungated and logs why, as for any store that fails, instead of
 * taking the failure for a full key and deferring forever.
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class DatabaseBackendException extends \RuntimeException
{
}

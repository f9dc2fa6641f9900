<?php
/**
 * Sluice's Redis cannot be reached, or refused a script: the gate then lets
 * the work run ungated and says so (never a refusal, which would defer forever).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class RedisBackendException extends \RuntimeException
{
}

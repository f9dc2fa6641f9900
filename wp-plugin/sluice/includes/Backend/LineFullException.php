<?php
/** The waiting line holds as many tickets as it can: the gate falls back to a timed deferral. */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class LineFullException extends \RuntimeException
{
}

<?php
/** An operator action the person asking may not take (the message says why, for them). */

declare(strict_types=1);

namespace SluiceWP\Status;

defined('ABSPATH') || exit;

final class NotAllowed extends \RuntimeException
{
}

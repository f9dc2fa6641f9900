<?php
/**
 * Thrown by UnusableStore: this process cannot use the site's lease store,
 * and AI work here runs ungated (counted, and shown as degraded health).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class StoreUnusableException extends \RuntimeException
{
}

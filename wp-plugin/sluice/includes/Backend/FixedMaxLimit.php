<?php
/**
 * Capacity (the largest limit a key can have) of a store sized by no
 * setting: the database and Redis backends take any limit their argument
 * checks allow (LeaseArguments::MAX_LIMIT), and nothing raises it.
 *
 * @internal the database and Redis backends'
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

trait FixedMaxLimit
{
    public function maxLimit(): int
    {
        return LeaseArguments::MAX_LIMIT;
    }

    public function raiseMaxLimit(): string
    {
        return '';
    }
}

<?php
/**
 * A key's record as RecordStore read it: its version (0: none yet), its
 * bytes, the store's clock at the read (ms), and the key's cap for the
 * waiting line (RecordStore::writeRecord()).
 */

declare(strict_types=1);

namespace SluiceWP\Backend;

defined('ABSPATH') || exit;

final class StoredRecord
{
    public function __construct(
        public readonly int $version,
        public readonly string $data,
        public readonly int $nowMs,
        public readonly int $cap = 0,
    ) {
    }
}

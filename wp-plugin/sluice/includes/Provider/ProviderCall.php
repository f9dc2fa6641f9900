<?php
/** An HTTP request recognised as a call to an AI provider (ProviderRequests): which provider, and which mode of work. */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class ProviderCall
{
    public function __construct(
        /** The provider's slug, as its provider limit and key name it ("openai"). */
        public readonly string $provider,
        /** "pipeline", "chat", "system", ... (Data Machine's), "ai-client" (WordPress's AI client), "other". */
        public readonly string $mode,
    ) {
    }
}

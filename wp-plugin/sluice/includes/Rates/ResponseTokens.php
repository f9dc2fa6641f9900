<?php
/**
 * Tokens a provider's answer says it used, read from its JSON body
 * (OpenAI's usage.total_tokens or prompt + completion tokens, the Responses
 * API's and Anthropic's input + output tokens, Gemini's usageMetadata).
 * Anything else is null: nothing here throws.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class ResponseTokens
{
    /** Tokens an answer says it used, or null when it says nothing readable. */
    public static function used(string $body): ?int
    {
        $answer = json_decode($body, true);
        if (!is_array($answer)) {
            return null;
        }
        $usage = $answer['usage'] ?? null;
        if (is_array($usage)) {
            if (self::whole($usage['total_tokens'] ?? null) !== null) {
                return self::whole($usage['total_tokens']);
            }
            foreach ([['prompt_tokens', 'completion_tokens'], ['input_tokens', 'output_tokens']] as [$in, $out]) {
                $a = self::whole($usage[$in] ?? null);
                $b = self::whole($usage[$out] ?? null);
                if ($a !== null || $b !== null) {
                    $cached = self::whole($usage['cache_creation_input_tokens'] ?? null) ?? 0;
                    return ($a ?? 0) + ($b ?? 0) + $cached;
                }
            }
        }
        $gemini = $answer['usageMetadata'] ?? null;
        return is_array($gemini) ? self::whole($gemini['totalTokenCount'] ?? null) : null;
    }

    private static function whole(mixed $value): ?int
    {
        return is_int($value) && $value >= 0 ? $value : null;
    }
}

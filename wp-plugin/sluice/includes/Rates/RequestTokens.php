<?php
/**
 * The tokens a provider request may use, estimated from its JSON body before
 * it goes out: its prompt (about four characters a token: the text of
 * OpenAI's and Anthropic's `messages` and `system`, the Responses API's
 * `input`, a completion's `prompt`, Gemini's `contents`) plus the most it may
 * answer (`max_tokens`, `max_completion_tokens`, `max_output_tokens`, Gemini's
 * `generationConfig.maxOutputTokens`). Null when the body says neither: the
 * charge made at admission stands. Nothing here throws.
 */

declare(strict_types=1);

namespace SluiceWP\Rates;

defined('ABSPATH') || exit;

final class RequestTokens
{
    /** Characters per token of a prompt: the providers' own rule of thumb for English text. */
    public const CHARS_PER_TOKEN = 4;
    /** Text inside a request is looked for this deep (messages, their parts, a part's text). */
    private const MAX_DEPTH = 6;

    /** @param mixed $body the request's body as WordPress's HTTP API has it (a JSON string, or an array of form fields) */
    public static function estimate(mixed $body): ?int
    {
        $request = is_string($body) ? json_decode($body, true) : $body;
        if (!is_array($request)) {
            return null;
        }
        $chars = 0;
        foreach (['messages', 'system', 'input', 'prompt', 'contents'] as $field) {
            $chars += self::textLength($request[$field] ?? null, 0);
        }
        $answer = null;
        foreach ([$request['max_tokens'] ?? null, $request['max_completion_tokens'] ?? null, $request['max_output_tokens'] ?? null,
            is_array($request['generationConfig'] ?? null) ? ($request['generationConfig']['maxOutputTokens'] ?? null) : null] as $max) {
            if (is_int($max) && $max > 0) {
                $answer = min($max, 100_000_000);
                break;
            }
        }
        if ($chars === 0 && $answer === null) {
            return null;
        }
        return (int) ceil($chars / self::CHARS_PER_TOKEN) + ($answer ?? 0);
    }

    /** Characters of text in a prompt field: a string, or the `content`/`text` strings of its messages and parts. */
    private static function textLength(mixed $value, int $depth): int
    {
        if (is_string($value)) {
            return mb_strlen($value);
        }
        if (!is_array($value) || $depth >= self::MAX_DEPTH) {
            return 0;
        }
        $chars = 0;
        foreach ($value as $key => $item) {
            // A list (messages, parts) or the text-bearing fields of one message or part; a role, a type, an
            // image's data or a tool's schema are not prompt text.
            if (is_int($key) || in_array($key, ['content', 'text', 'parts'], true)) {
                $chars += self::textLength($item, $depth + 1);
            }
        }
        return $chars;
    }
}

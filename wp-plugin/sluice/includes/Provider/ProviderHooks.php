<?php
/**
 * The provider protection's WordPress hooks: every HTTP request that is a
 * call to an AI provider (ProviderRequests) passes ProviderCalls before it
 * goes (pre_http_request, just before the gate marks it open) and after its
 * answer (http_api_debug, which WordPress fires for answers and transport
 * errors alike); Data Machine's Agents API's announcement of an in-step
 * retry (agents_api_provider_turn_retry) gives the step's slot back while it
 * sleeps; WordPress's AI client's generate-result events tell which provider
 * the requests between them call.
 */

declare(strict_types=1);

namespace SluiceWP\Provider;

defined('ABSPATH') || exit;

final class ProviderHooks
{
    /**
     * @param \Closure(): ?ProviderCalls $calls this request's, built on first use (null while gating is off)
     */
    public function __construct(
        private readonly \Closure $calls,
        private readonly ProviderRequests $requests,
    ) {
    }

    public function init(): void
    {
        // Just before the gate's own pre_http_request (PHP_INT_MAX), so a refused call is never marked open.
        add_filter('pre_http_request', function ($preempt, $args, $url) {
            if ($preempt !== false || !is_string($url) || !is_array($args)) {
                return $preempt;
            }
            $call = $this->requests->recognise($url, $args);
            return $call === null ? false : (($this->calls)()?->before($call, $url, $args) ?? false);
        }, PHP_INT_MAX - 1, 3);
        add_action('http_api_debug', function ($response, $context, $class, $args, $url): void {
            if (is_string($url) && is_array($args)) {
                ($this->calls)()?->after($response, $url, $args);
            }
        }, 0, 5);
        add_action('agents_api_provider_turn_retry', function ($context): void {
            if (is_array($context)) {
                ($this->calls)()?->retrying($context);
            }
        }, 10, 1);
        add_action('wp_ai_client_before_generate_result', function ($event): void {
            $this->requests->aiClientStarted(self::providerOf($event));
        }, 10, 1);
        add_action('wp_ai_client_after_generate_result', function (): void {
            $this->requests->aiClientEnded();
        }, 10, 0);
    }

    /** The provider of the model an AI client event names ('' when it names none). */
    private static function providerOf(mixed $event): string
    {
        if (!is_object($event) || !method_exists($event, 'getModel')) {
            return '';
        }
        $model = $event->getModel();
        if (!is_object($model) || !method_exists($model, 'providerMetadata')) {
            return '';
        }
        $metadata = $model->providerMetadata();
        return is_object($metadata) && method_exists($metadata, 'getId') ? (string) $metadata->getId() : '';
    }
}

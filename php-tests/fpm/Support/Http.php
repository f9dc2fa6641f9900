<?php
declare(strict_types=1);

namespace Sluice\FpmTests;

use CurlMultiHandle;
use RuntimeException;

/**
 * Concurrent HTTP clients on one curl_multi handle. Every finished request is
 * recorded with its HTTP status, decoded JSON body and hrtime() stamps (ns, the
 * host's monotonic clock, comparable with the stamps the endpoints report).
 */
final class Http
{
    private CurlMultiHandle $multi;
    /** @var array<int,array{handle:\CurlHandle,tag:mixed,path:string,t0:int}> */
    private array $running = [];
    /** @var list<array> */
    public array $done = [];

    public function __construct()
    {
        $this->multi = curl_multi_init();
    }

    /** One request, waited for. */
    public static function get(string $path, float $timeout = 30.0): array
    {
        $http = new self();
        $http->add($path, null, $timeout);
        $http->waitAll($timeout + 5);
        return $http->done[0];
    }

    /** Starts a request; $tag comes back with its result. */
    public function add(string $path, mixed $tag = null, float $timeout = 60.0): void
    {
        $h = curl_init(Stack::url($path));
        curl_setopt_array($h, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT_MS => (int) ($timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => 5000,
            CURLOPT_FORBID_REUSE => true,
        ]);
        curl_multi_add_handle($this->multi, $h);
        $this->running[spl_object_id($h)] = ['handle' => $h, 'tag' => $tag, 'path' => $path, 't0' => hrtime(true)];
        curl_multi_exec($this->multi, $active);
    }

    public function pending(): int
    {
        return count($this->running);
    }

    /**
     * Drives the transfers for up to $maxWait s or until one finishes; returns
     * the results that finished in this call.
     *
     * @return list<array>
     */
    public function poll(float $maxWait = 0.01): array
    {
        $finished = [];
        if ($this->running === []) {
            return $finished;
        }
        curl_multi_exec($this->multi, $active);
        if (!$this->collect($finished)) {
            curl_multi_select($this->multi, $maxWait);
            curl_multi_exec($this->multi, $active);
            $this->collect($finished);
        }
        return $finished;
    }

    /** @return bool whether anything finished */
    private function collect(array &$finished): bool
    {
        $any = false;
        while ($info = curl_multi_info_read($this->multi)) {
            $h = $info['handle'];
            $entry = $this->running[spl_object_id($h)];
            unset($this->running[spl_object_id($h)]);
            $raw = (string) curl_multi_getcontent($h);
            $result = [
                'tag' => $entry['tag'],
                'path' => $entry['path'],
                'status' => (int) curl_getinfo($h, CURLINFO_RESPONSE_CODE),
                'curl_error' => $info['result'] === CURLE_OK ? null : curl_error($h),
                'raw' => $raw,
                'body' => json_decode($raw, true),
                't0' => $entry['t0'],
                't1' => hrtime(true),
            ];
            curl_multi_remove_handle($this->multi, $h);
            curl_close($h);
            $this->done[] = $result;
            $finished[] = $result;
            $any = true;
        }
        return $any;
    }

    /** Waits until every started request finished. */
    public function waitAll(float $timeout = 60.0): array
    {
        $deadline = microtime(true) + $timeout;
        while ($this->running !== []) {
            if (microtime(true) > $deadline) {
                throw new RuntimeException(count($this->running) . ' HTTP request(s) did not finish in ' . $timeout . ' s');
            }
            $this->poll(0.05);
        }
        return $this->done;
    }

    /**
     * N clients that each repeat a request until it is granted (HTTP 200):
     * a 429 makes the client wait a random backoff and try again, the way a
     * deferred job comes back later. $path(client, attempt) gives the URL.
     *
     * @return list<array> every request, with tag ['client' => i, 'attempt' => n]
     */
    public static function untilGranted(int $clients, callable $path, array $backoffMs = [20, 60],
                                        int $maxAttempts = 400, float $timeout = 120.0): array
    {
        $http = new self();
        $due = [];  // client => [attempt, due time (ns)]
        $now = hrtime(true);
        for ($i = 0; $i < $clients; $i++) {
            $due[$i] = [1, $now];
        }
        $deadline = microtime(true) + $timeout;
        while ($due !== [] || $http->pending() > 0) {
            if (microtime(true) > $deadline) {
                throw new RuntimeException('clients did not finish in ' . $timeout . ' s');
            }
            $now = hrtime(true);
            foreach ($due as $i => [$attempt, $at]) {
                if ($at <= $now) {
                    unset($due[$i]);
                    $http->add($path($i, $attempt), ['client' => $i, 'attempt' => $attempt]);
                }
            }
            foreach ($http->poll(0.005) as $r) {
                ['client' => $i, 'attempt' => $attempt] = $r['tag'];
                if ($r['status'] === 429 && $attempt < $maxAttempts) {
                    $due[$i] = [$attempt + 1, hrtime(true) + random_int($backoffMs[0], $backoffMs[1]) * 1000000];
                }
            }
        }
        return $http->done;
    }

    /** GET /fpm-status?json&full: FPM's own view of its workers. */
    public static function fpmStatus(): array
    {
        $r = self::get('fpm-status?json&full', 10);
        if ($r['status'] !== 200 || !is_array($r['body'])) {
            throw new RuntimeException('fpm-status answered ' . $r['status'] . ': ' . $r['raw']);
        }
        return $r['body'];
    }
}

<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use RuntimeException;
use Sluice\Support\Process;

/**
 * Headless Chromium through chromedriver's W3C WebDriver HTTP API, with
 * nothing but curl: starts its own chromedriver on a free loopback port,
 * one session, and stops both (by pid) when done. Every page gets a hook
 * that records JavaScript errors (window.onerror, unhandled rejections,
 * console.error) before any script of the page runs; jsErrors() reads them,
 * and consoleErrors() reads the browser log's SEVERE entries.
 */
final class WebDriver
{
    private Process $driver;
    private string $base;
    private string $session = '';
    private string $logFile;

    public function __construct(int $width = 1280, int $height = 1600)
    {
        $binary = self::locate(['chromedriver', '/usr/lib/chromium/chromedriver']);
        $chromium = self::locate(['chromium', '/usr/lib/chromium/chromium']);
        $port = self::freePort();
        $this->logFile = (string) tempnam(sys_get_temp_dir(), 'sluice-chromedriver-');
        $this->driver = Process::logged([$binary, '--port=' . $port, '--allowed-ips=127.0.0.1', '--log-path=' . $this->logFile]);
        $this->base = "http://127.0.0.1:$port";
        $deadline = microtime(true) + 20;
        while (($this->call('GET', '/status', null, false)['value']['ready'] ?? false) !== true) {
            if (microtime(true) > $deadline) {
                throw new RuntimeException('chromedriver did not become ready; its log: ' . $this->logFile);
            }
            usleep(100000);
        }
        $created = $this->call('POST', '/session', ['capabilities' => ['alwaysMatch' => [
            'browserName' => 'chrome',
            'goog:chromeOptions' => [
                'binary' => $chromium,
                // --no-sandbox: the tests run as root.
                'args' => ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', "--window-size=$width,$height", '--hide-scrollbars'],
            ],
            'goog:loggingPrefs' => ['browser' => 'ALL'],
        ]]]);
        $this->session = (string) ($created['value']['sessionId'] ?? '');
        if ($this->session === '') {
            throw new RuntimeException('chromedriver made no session: ' . json_encode($created));
        }
        $this->call('POST', $this->path('/goog/cdp/execute'), ['cmd' => 'Page.addScriptToEvaluateOnNewDocument', 'params' => ['source' => <<<'JS'
            window.__sluiceJsErrors = [];
            window.addEventListener('error', function (e) { window.__sluiceJsErrors.push('error: ' + e.message + ' at ' + e.filename + ':' + e.lineno); });
            window.addEventListener('unhandledrejection', function (e) { window.__sluiceJsErrors.push('unhandled rejection: ' + String(e.reason)); });
            (function (original) {
                console.error = function () { window.__sluiceJsErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); return original.apply(console, arguments); };
            })(console.error);
            JS]]);
    }

    public function __destruct()
    {
        if ($this->session !== '') {
            try {
                $this->call('DELETE', $this->path(''), null, false);
            } catch (\Throwable) {
            }
        }
        $this->driver->kill(SIGTERM);
        $this->driver->wait(10.0);
        @unlink($this->logFile);
    }

    public function go(string $url): void
    {
        $this->call('POST', $this->path('/url'), ['url' => $url]);
    }

    public function url(): string
    {
        return (string) $this->call('GET', $this->path('/url'))['value'];
    }

    /** The element matching a CSS selector (fails when none does). */
    public function find(string $css): string
    {
        $found = $this->call('POST', $this->path('/element'), ['using' => 'css selector', 'value' => $css]);
        $id = is_array($found['value'] ?? null) ? (string) (array_values($found['value'])[0] ?? '') : '';
        if ($id === '') {
            throw new RuntimeException("no element matches $css on " . $this->url());
        }
        return $id;
    }

    public function click(string $css): void
    {
        $this->call('POST', $this->path('/element/' . $this->find($css) . '/click'), []);
    }

    public function fill(string $css, string $text): void
    {
        $element = $this->find($css);
        $this->call('POST', $this->path("/element/$element/clear"), []);
        if ($text !== '') {
            $this->call('POST', $this->path("/element/$element/value"), ['text' => $text]);
        }
    }

    /**
     * Runs JavaScript in the page and returns its result.
     *
     * @param list<mixed> $args
     */
    public function script(string $body, array $args = []): mixed
    {
        return $this->call('POST', $this->path('/execute/sync'), ['script' => $body, 'args' => $args])['value'] ?? null;
    }

    public function html(): string
    {
        return (string) $this->call('GET', $this->path('/source'))['value'];
    }

    /** Waits until $condition (JavaScript returning a truthy value) holds; returns its value. */
    public function waitFor(string $condition, float $timeoutSeconds = 20.0): mixed
    {
        $deadline = microtime(true) + $timeoutSeconds;
        while (true) {
            $value = $this->script('return (function () { ' . $condition . ' })();');
            if ($value) {
                return $value;
            }
            if (microtime(true) > $deadline) {
                throw new RuntimeException("timed out waiting for: $condition (on " . $this->url() . ')');
            }
            usleep(200000);
        }
    }

    /** Saves a PNG of the viewport. */
    public function screenshot(string $file): void
    {
        $png = base64_decode((string) $this->call('GET', $this->path('/screenshot'))['value'], true);
        if ($png === false || file_put_contents($file, $png) === false) {
            throw new RuntimeException("could not save a screenshot to $file");
        }
    }

    /** @return list<string> JavaScript errors the page's hook recorded */
    public function jsErrors(): array
    {
        $errors = $this->script('return window.__sluiceJsErrors || null;');
        if (!is_array($errors)) {
            throw new RuntimeException('the error hook is missing from the page (CDP addScriptToEvaluateOnNewDocument)');
        }
        return array_values(array_map('strval', $errors));
    }

    /** @return list<string> SEVERE entries of the browser's log since the last call */
    public function consoleErrors(): array
    {
        $log = $this->call('POST', $this->path('/se/log'), ['type' => 'browser'], false);
        $out = [];
        foreach (is_array($log['value'] ?? null) ? $log['value'] : [] as $entry) {
            if (($entry['level'] ?? '') === 'SEVERE') {
                $out[] = (string) ($entry['message'] ?? '');
            }
        }
        return $out;
    }

    private function path(string $rest): string
    {
        return '/session/' . $this->session . $rest;
    }

    /**
     * @param array<string, mixed>|null $body
     * @return array<string, mixed>
     */
    private function call(string $method, string $path, ?array $body = null, bool $strict = true): array
    {
        $curl = curl_init($this->base . $path);
        curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_CUSTOMREQUEST => $method, CURLOPT_TIMEOUT => 60,
            CURLOPT_HTTPHEADER => ['Content-Type: application/json']]);
        if ($body !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($body === [] ? new \stdClass() : $body));
        }
        $raw = curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        curl_close($curl);
        $decoded = is_string($raw) ? json_decode($raw, true) : null;
        if ($strict && ($status !== 200 || !is_array($decoded))) {
            throw new RuntimeException("WebDriver $method $path: HTTP $status " . (is_string($raw) ? substr($raw, 0, 500) : 'no answer'));
        }
        return is_array($decoded) ? $decoded : [];
    }

    /** @param list<string> $candidates */
    private static function locate(array $candidates): string
    {
        foreach ($candidates as $candidate) {
            $path = str_starts_with($candidate, '/') ? $candidate : trim((string) shell_exec('command -v ' . escapeshellarg($candidate)));
            if ($path !== '' && is_executable($path)) {
                return $path;
            }
        }
        throw new RuntimeException('not installed: ' . implode(' or ', $candidates) . ' (tools/install-deps installs chromium and chromium-driver)');
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($socket === false) {
            throw new RuntimeException("no free port: $error");
        }
        $name = (string) stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }
}

<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use Facebook\WebDriver\Chrome\ChromeDriver;
use Facebook\WebDriver\Chrome\ChromeDriverService;
use Facebook\WebDriver\Chrome\ChromeOptions;
use Facebook\WebDriver\Remote\DesiredCapabilities;
use RuntimeException;

/**
 * Headless Chromium through Debian's chromium-driver, driven by
 * php-webdriver/webdriver (tools/php-webdriver): start() runs its own
 * chromedriver on a free loopback port (quit() stops it) and gives every
 * page a hook that records JavaScript errors (window.onerror, unhandled
 * rejections, console.error) before any script of the page runs;
 * jsErrors() reads them, consoleErrors() the browser log's SEVERE entries.
 */
final class Chromium
{
    public static function start(int $width = 1280, int $height = 1600): ChromeDriver
    {
        $chromedriver = self::locate(['chromedriver', '/usr/lib/chromium/chromedriver']);
        $port = self::freePort();
        $service = new ChromeDriverService($chromedriver, $port, ['--port=' . $port]);
        $options = (new ChromeOptions())->setBinary(self::locate(['chromium', '/usr/lib/chromium/chromium']))
            // --no-sandbox: the tests run as root.
            ->addArguments(['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', "--window-size=$width,$height", '--hide-scrollbars']);
        $capabilities = DesiredCapabilities::chrome();
        $capabilities->setCapability(ChromeOptions::CAPABILITY_W3C, $options);
        $capabilities->setCapability('goog:loggingPrefs', ['browser' => 'ALL']);
        $driver = ChromeDriver::startUsingDriverService($service, $capabilities);
        $driver->getDevTools()->execute('Page.addScriptToEvaluateOnNewDocument', ['source' => <<<'JS'
            window.__sluiceJsErrors = [];
            window.addEventListener('error', function (e) { window.__sluiceJsErrors.push('error: ' + e.message + ' at ' + e.filename + ':' + e.lineno); });
            window.addEventListener('unhandledrejection', function (e) { window.__sluiceJsErrors.push('unhandled rejection: ' + String(e.reason)); });
            (function (original) {
                console.error = function () { window.__sluiceJsErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); return original.apply(console, arguments); };
            })(console.error);
            JS]);
        return $driver;
    }

    /** Waits until $condition (the body of a JavaScript function) returns a truthy value; returns that value. */
    public static function waitFor(ChromeDriver $driver, string $condition, int $timeoutSeconds = 20): mixed
    {
        return $driver->wait($timeoutSeconds, 200)->until(
            static fn (ChromeDriver $d): mixed => $d->executeScript('return (function () { ' . $condition . ' })();'),
            "timed out waiting for: $condition",
        );
    }

    /** @return list<string> JavaScript errors the page's hook recorded */
    public static function jsErrors(ChromeDriver $driver): array
    {
        $errors = $driver->executeScript('return window.__sluiceJsErrors || null;');
        if (!is_array($errors)) {
            throw new RuntimeException('the error hook is missing from the page (CDP addScriptToEvaluateOnNewDocument)');
        }
        return array_values(array_map('strval', $errors));
    }

    /** @return list<string> SEVERE entries of the browser's log since the last call */
    public static function consoleErrors(ChromeDriver $driver): array
    {
        $severe = array_filter($driver->manage()->getLog('browser'), static fn (array $entry): bool => ($entry['level'] ?? '') === 'SEVERE');
        return array_values(array_map(static fn (array $entry): string => (string) ($entry['message'] ?? ''), $severe));
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

<?php
declare(strict_types=1);

namespace Sluice\ApacheTests\Support;

use RuntimeException;
use Sluice\Support\Process;
use Sluice\Support\WordPress\Site;

/**
 * The Apache that serves the test site (tools/stack with SLUICE_WEB_SERVER=apache):
 * its parent and children, and the suite's endpoint (www/sluice-apache-hold.php)
 * requested over HTTP by curl processes.
 */
final class Apache
{
    private const ENDPOINT = 'sluice-apache-hold.php';

    /** Apache's parent process (it forks the prefork children and replaces a killed one). */
    public static function parentPid(): int
    {
        return (int) getenv('SLUICE_APACHE_PARENT_PID');
    }

    /**
     * The parent's children: the processes that run PHP for Apache.
     *
     * @return list<int>
     */
    public static function children(): array
    {
        $children = [];
        foreach (glob('/proc/[0-9]*/stat') ?: [] as $file) {
            $stat = @file_get_contents($file);
            if ($stat === false) {
                continue;
            }
            // Fields after the command name (which may hold spaces): state, ppid, ...
            $fields = explode(' ', substr($stat, strrpos($stat, ')') + 2));
            if ((int) $fields[1] === self::parentPid() && $fields[0] !== 'Z') {
                $children[] = (int) basename(dirname($file));
            }
        }
        sort($children);
        return $children;
    }

    /** Copies the endpoint into the site's docroot (readable by Apache's user wherever the checkout is). */
    public static function installEndpoint(): void
    {
        $target = getenv('SLUICE_WP_DIR') . '/' . self::ENDPOINT;
        if (!copy(dirname(__DIR__) . '/www/' . self::ENDPOINT, $target) || !chmod($target, 0644)) {
            throw new RuntimeException("cannot install the endpoint at $target");
        }
    }

    /**
     * Starts one request to the endpoint (see its header for the parameters) in a curl process.
     *
     * @param array<string, string|int> $query
     */
    public static function hold(array $query): Process
    {
        return Process::launch(['curl', '-s', '--max-time', '60', Site::url() . '/' . self::ENDPOINT . '?' . http_build_query($query)]);
    }

    /**
     * The endpoint's answer to a request hold() started, once it ended.
     *
     * @return array<string, mixed>
     */
    public static function answer(Process $request): array
    {
        $result = $request->wait(60.0);
        $answer = json_decode(trim($result->stdout), true);
        if (!is_array($answer)) {
            throw new RuntimeException('the endpoint did not answer JSON: ' . $result->describe());
        }
        return $answer;
    }
}

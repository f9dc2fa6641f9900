<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use RuntimeException;
use Sluice\Support\WordPress\Site;

/**
 * A wp-admin session over plain HTTP (curl, a cookie jar of its own): logs a
 * user in through wp-login.php, then GETs and POSTs without following
 * redirects, so tests see the status code WordPress answered.
 */
final class AdminHttp
{
    private string $jar;

    /**
     * @param string $base the site's URL (the test site by default)
     * @param string $host a host name to reach at 127.0.0.1 on $base's port, sent without the port (a network's domain)
     */
    private function __construct(private readonly string $base = '', private readonly string $host = '')
    {
        $this->jar = (string) tempnam(sys_get_temp_dir(), 'sluice-admin-jar-');
    }

    public function __destruct()
    {
        @unlink($this->jar);
    }

    public static function loggedIn(string $user, string $password): self
    {
        return self::logIn(new self(), '127.0.0.1', $user, $password);
    }

    /**
     * A session on another WordPress served at 127.0.0.1:$port under the
     * domain $host (e.g. a network whose blogs are paths of that domain).
     */
    public static function loggedInAt(string $host, int $port, string $user, string $password): self
    {
        return self::logIn(new self("http://$host:$port", $host), $host, $user, $password);
    }

    private static function logIn(self $session, string $cookieDomain, string $user, string $password): self
    {
        file_put_contents($session->jar, "$cookieDomain\tFALSE\t/\tFALSE\t0\twordpress_test_cookie\tWP%20Cookie%20check\n");
        $response = $session->post('/wp-login.php', ['log' => $user, 'pwd' => $password, 'wp-submit' => 'Log In', 'testcookie' => '1']);
        if ($response['status'] !== 302) {
            throw new RuntimeException("could not log in as $user (HTTP {$response['status']})");
        }
        return $session;
    }

    /** The test site's administrator (tools/wordpress wrote the password next to the site). */
    public static function admin(): self
    {
        return self::loggedIn('admin', self::adminPassword());
    }

    public static function adminPassword(): string
    {
        return trim((string) file_get_contents(getenv('SLUICE_WP_DIR') . '/.admin-password'));
    }

    /** @return array{status: int, body: string, location: string} */
    public function get(string $path): array
    {
        return $this->request($path, null);
    }

    /**
     * @param array<string, string> $fields
     * @return array{status: int, body: string, location: string}
     */
    public function post(string $path, array $fields): array
    {
        return $this->request($path, $fields);
    }

    /**
     * @param array<string, string>|null $fields
     * @return array{status: int, body: string, location: string}
     */
    private function request(string $path, ?array $fields): array
    {
        $curl = curl_init(($this->base !== '' ? $this->base : Site::url()) . $path);
        if ($this->host !== '') {
            curl_setopt($curl, CURLOPT_RESOLVE, [$this->host . ':' . (int) parse_url($this->base, PHP_URL_PORT) . ':127.0.0.1']);
            curl_setopt($curl, CURLOPT_HTTPHEADER, ['Host: ' . $this->host]);
        }
        curl_setopt_array($curl, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_COOKIEFILE => $this->jar,
            CURLOPT_COOKIEJAR => $this->jar,
            CURLOPT_TIMEOUT => 60,
        ]);
        if ($fields !== null) {
            curl_setopt($curl, CURLOPT_POST, true);
            curl_setopt($curl, CURLOPT_POSTFIELDS, http_build_query($fields));
        }
        $body = curl_exec($curl);
        if (!is_string($body)) {
            throw new RuntimeException("GET/POST $path failed: " . curl_error($curl));
        }
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $location = (string) (curl_getinfo($curl, CURLINFO_REDIRECT_URL) ?: '');
        curl_close($curl);
        // Cookies reach the jar when the handle closes; the next request reads them.
        return ['status' => $status, 'body' => $body, 'location' => $location];
    }
}

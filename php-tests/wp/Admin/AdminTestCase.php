<?php
declare(strict_types=1);

namespace Sluice\WpTests\Admin;

use Sluice\WpTests\Gate\GateTestCase;
use SluiceWP\Backend\Lease;
use SluiceWP\Backend\NativeBackend;

/**
 * The admin pages' tests: a clean site (GateTestCase), an empty samples
 * table, and helpers for the pages' forms.
 */
abstract class AdminTestCase extends GateTestCase
{
    protected function setUp(): void
    {
        global $wpdb;
        parent::setUp();
        $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}sluice_samples");
    }

    /** Holds a slot of the site key in this process with the gate's label shape. */
    protected static function holdLabelled(string $label, int $limit = 2): Lease
    {
        $lease = (new NativeBackend())->tryAcquire([self::siteKey() => $limit], 600, $label);
        self::assertInstanceOf(Lease::class, $lease, 'the test could take a site slot');
        return $lease;
    }

    protected static function isHeld(string $token): bool
    {
        foreach (self::keyStatus(self::siteKey())?->holders ?? [] as $holder) {
            if ($holder->token === $token) {
                return true;
            }
        }
        return false;
    }

    /**
     * The hidden fields of the first form on a page whose HTML contains $marker (e.g. the token).
     *
     * @return array<string, string>
     */
    protected static function formFields(string $html, string $marker): array
    {
        $document = new \DOMDocument();
        @$document->loadHTML($html);
        foreach ($document->getElementsByTagName('form') as $form) {
            $inner = $document->saveHTML($form);
            if (!is_string($inner) || !str_contains($inner, $marker)) {
                continue;
            }
            $fields = [];
            foreach ($form->getElementsByTagName('input') as $input) {
                $fields[$input->getAttribute('name')] = $input->getAttribute('value');
            }
            return $fields;
        }
        self::fail("no form on the page carries $marker");
    }

    /** A user of the site without manage_options (created once), and their password. */
    protected static function editor(): AdminHttp
    {
        $password = 'editor-' . substr(md5((string) getenv('SLUICE_WP_DIR')), 0, 12);
        if (!username_exists('sluice-editor')) {
            $id = wp_insert_user(['user_login' => 'sluice-editor', 'user_pass' => $password, 'user_email' => 'editor@example.org', 'role' => 'editor']);
            self::assertIsInt($id, 'the test could create an editor');
        }
        self::assertFalse(user_can((int) username_exists('sluice-editor'), 'manage_options'));
        return AdminHttp::loggedIn('sluice-editor', $password);
    }
}

<?php
/**
 * The status page's two repairs, through admin-post.php (POST only,
 * manage_options, a nonce each): release a stuck lease by its token, reset
 * a key, both through Status\SiteStatus (as `wp sluice release|reset` and the
 * REST release): only this blog's keys (and host-wide provider keys) can be
 * touched, and a lease that also holds another blog's key is that blog's; a
 * host-wide key is reset, and another site's lease on it released, only by a
 * network administrator (Status\OperatorRights).
 */

declare(strict_types=1);

namespace SluiceWP\Admin;

use SluiceWP\Status\NotAllowed;
use SluiceWP\Status\SiteStatus;

defined('ABSPATH') || exit;

final class LeaseActions
{
    public const RELEASE = 'sluice_release_lease';
    public const RESET = 'sluice_reset_key';

    public function __construct(private readonly SiteStatus $status)
    {
    }

    public function release(): void
    {
        $this->guard(self::RELEASE);
        $token = strtolower(sanitize_text_field(wp_unslash((string) ($_POST['token'] ?? ''))));
        $released = preg_match('/^[0-9a-z_-]{1,128}$/', $token) === 1 && $this->status->release($token);
        $this->back($released ? 'released' : 'not_held');
    }

    public function reset(): void
    {
        $this->guard(self::RESET);
        $key = sanitize_text_field(wp_unslash((string) ($_POST['key'] ?? '')));
        try {
            $dropped = $key === '' ? null : $this->status->reset($key);
        } catch (NotAllowed $e) {
            wp_die(esc_html($e->getMessage()), '', ['response' => 403]);
        }
        if ($dropped === null) {
            wp_die(esc_html__('No such key on this site.', 'sluice'), '', ['response' => 404]);
        }
        $this->back('reset');
    }

    private function guard(string $action): void
    {
        if (strtoupper((string) ($_SERVER['REQUEST_METHOD'] ?? '')) !== 'POST') {
            wp_die(esc_html__('This action takes a POST request.', 'sluice'), '', ['response' => 405]);
        }
        if (!current_user_can(StatusPage::CAPABILITY)) {
            wp_die(esc_html__('Sorry, you are not allowed to do this.', 'sluice'), '', ['response' => 403]);
        }
        check_admin_referer($action);
    }

    private function back(string $notice): never
    {
        wp_safe_redirect(StatusPage::url(['sluice_notice' => $notice]), 303);
        exit;
    }
}

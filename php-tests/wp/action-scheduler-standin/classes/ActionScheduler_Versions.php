<?php
/**
 * TEST-ONLY stand-in for Action Scheduler; never shipped.
 *
 * The version registry, same public API as the real ActionScheduler_Versions: every copy of the library
 * registers its version, and the newest one is initialised.
 */
class ActionScheduler_Versions {

	/** @var ActionScheduler_Versions|null */
	private static $instance = null;

	/** @var array<string, callable> version => initialisation callback */
	private $versions = array();

	/** @var array<string, string> registering file => version */
	private $sources = array();

	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	public function register( $version_string, $initialization_callback ) {
		if ( isset( $this->versions[ $version_string ] ) ) {
			return false;
		}
		$trace = debug_backtrace( DEBUG_BACKTRACE_IGNORE_ARGS, 1 );

		$this->versions[ $version_string ]                    = $initialization_callback;
		$this->sources[ $trace[0]['file'] ?? __FILE__ ] = $version_string;
		return true;
	}

	public function get_versions() {
		return $this->versions;
	}

	public function get_sources() {
		return $this->sources;
	}

	/** @return string|false */
	public function latest_version() {
		if ( ! $this->versions ) {
			return false;
		}
		$keys = array_keys( $this->versions );
		usort( $keys, 'version_compare' );
		return (string) end( $keys );
	}

	public function latest_version_callback() {
		$latest = $this->latest_version();
		return ( false === $latest ) ? '__return_null' : $this->versions[ $latest ];
	}

	public static function initialize_latest_version() {
		call_user_func( self::instance()->latest_version_callback() );
	}
}

/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 1039886779b2c2b277b64c65ee6d4cc62755d32d */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_status, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

#define arginfo_Sluice_segment_info arginfo_Sluice_status

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_segment_path, 0, 0, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, name, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_release, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, token, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_renew, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, token, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, ttl, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_request_started, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, token, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, maxSeconds, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_Sluice_request_finished arginfo_Sluice_release

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_reset, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_Sluice_sweep arginfo_Sluice_status

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_recreate_segment, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_ticket_set_ref, 0, 3, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, scope, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, ticket, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, ref, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_ticket_cancel, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, scope, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, ticket, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_take_wakes, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, scope, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, max, IS_LONG, 0, "64")
ZEND_END_ARG_INFO()

#define arginfo_Sluice_wake_missed arginfo_Sluice_ticket_cancel

#define arginfo_Sluice_take_stranded arginfo_Sluice_take_wakes

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_ack_stranded, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, scope, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_Sluice_return_stranded arginfo_Sluice_ack_stranded

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_key_record, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_key_record_cas, 0, 3, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, version, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, cap, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_bucket_adjust, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, tokens, IS_DOUBLE, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_bucket_observe, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, word, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_window_add, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, counts, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, minute, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

#define arginfo_Sluice_key_rates arginfo_Sluice_status

#define arginfo_Sluice_line arginfo_Sluice_status

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Sluice_Testing_park_next_acquire_in_critical_section, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Sluice_Limiter___construct, 0, 0, 1)
	ZEND_ARG_TYPE_INFO(0, limits, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ttl, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, scope, IS_STRING, 0, "\'\'")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, buckets, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Sluice_Limiter_tryAcquire, 0, 0, Sluice\\Lease, 1)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, label, IS_STRING, 0, "\'\'")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, tokens, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Sluice_Limiter_acquire, 0, 1, Sluice\\Lease, 1)
	ZEND_ARG_TYPE_INFO(0, timeoutMs, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, label, IS_STRING, 0, "\'\'")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, tokens, IS_ARRAY, 0, "[]")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ref, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Sluice_Limiter_lastRefusal, 0, 0, IS_ARRAY, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Sluice_Limiter_tryAcquireFor, 0, 1, Sluice\\Lease, 1)
	ZEND_ARG_TYPE_INFO(0, ref, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, label, IS_STRING, 0, "\'\'")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, tokens, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Sluice_Limiter_enqueue, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, ref, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, tenant, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, weight, IS_LONG, 0, "1")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, firstDeferredAt, IS_LONG, 0, "0")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, hold, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

#define arginfo_class_Sluice_Limiter_limits arginfo_Sluice_status

#define arginfo_class_Sluice_Limiter_ttl arginfo_Sluice_recreate_segment

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Sluice_Lease___construct, 0, 0, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Sluice_Lease_token, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Sluice_Lease_release, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Sluice_Lease_renew, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, ttl, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Sluice_Lease_isHeld arginfo_class_Sluice_Lease_release

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Sluice_Lease_requestStarted, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, maxSeconds, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Sluice_Lease_requestFinished arginfo_class_Sluice_Lease_release

#define arginfo_class_Sluice_Lease_keys arginfo_Sluice_status

#define arginfo_class_Sluice_Lease_waitedMs arginfo_Sluice_recreate_segment


ZEND_FUNCTION(Sluice_status);
ZEND_FUNCTION(Sluice_segment_info);
ZEND_FUNCTION(Sluice_segment_path);
ZEND_FUNCTION(Sluice_release);
ZEND_FUNCTION(Sluice_renew);
ZEND_FUNCTION(Sluice_request_started);
ZEND_FUNCTION(Sluice_request_finished);
ZEND_FUNCTION(Sluice_reset);
ZEND_FUNCTION(Sluice_sweep);
ZEND_FUNCTION(Sluice_recreate_segment);
ZEND_FUNCTION(Sluice_ticket_set_ref);
ZEND_FUNCTION(Sluice_ticket_cancel);
ZEND_FUNCTION(Sluice_take_wakes);
ZEND_FUNCTION(Sluice_wake_missed);
ZEND_FUNCTION(Sluice_take_stranded);
ZEND_FUNCTION(Sluice_ack_stranded);
ZEND_FUNCTION(Sluice_return_stranded);
ZEND_FUNCTION(Sluice_key_record);
ZEND_FUNCTION(Sluice_key_record_cas);
ZEND_FUNCTION(Sluice_bucket_adjust);
ZEND_FUNCTION(Sluice_bucket_observe);
ZEND_FUNCTION(Sluice_window_add);
ZEND_FUNCTION(Sluice_key_rates);
ZEND_FUNCTION(Sluice_line);
ZEND_FUNCTION(Sluice_Testing_park_next_acquire_in_critical_section);
ZEND_METHOD(Sluice_Limiter, __construct);
ZEND_METHOD(Sluice_Limiter, tryAcquire);
ZEND_METHOD(Sluice_Limiter, acquire);
ZEND_METHOD(Sluice_Limiter, lastRefusal);
ZEND_METHOD(Sluice_Limiter, tryAcquireFor);
ZEND_METHOD(Sluice_Limiter, enqueue);
ZEND_METHOD(Sluice_Limiter, limits);
ZEND_METHOD(Sluice_Limiter, ttl);
ZEND_METHOD(Sluice_Lease, __construct);
ZEND_METHOD(Sluice_Lease, token);
ZEND_METHOD(Sluice_Lease, release);
ZEND_METHOD(Sluice_Lease, renew);
ZEND_METHOD(Sluice_Lease, isHeld);
ZEND_METHOD(Sluice_Lease, requestStarted);
ZEND_METHOD(Sluice_Lease, requestFinished);
ZEND_METHOD(Sluice_Lease, keys);
ZEND_METHOD(Sluice_Lease, waitedMs);


static const zend_function_entry ext_functions[] = {
	ZEND_NS_FALIAS("Sluice", status, Sluice_status, arginfo_Sluice_status)
	ZEND_NS_FALIAS("Sluice", segment_info, Sluice_segment_info, arginfo_Sluice_segment_info)
	ZEND_NS_FALIAS("Sluice", segment_path, Sluice_segment_path, arginfo_Sluice_segment_path)
	ZEND_NS_FALIAS("Sluice", release, Sluice_release, arginfo_Sluice_release)
	ZEND_NS_FALIAS("Sluice", renew, Sluice_renew, arginfo_Sluice_renew)
	ZEND_NS_FALIAS("Sluice", request_started, Sluice_request_started, arginfo_Sluice_request_started)
	ZEND_NS_FALIAS("Sluice", request_finished, Sluice_request_finished, arginfo_Sluice_request_finished)
	ZEND_NS_FALIAS("Sluice", reset, Sluice_reset, arginfo_Sluice_reset)
	ZEND_NS_FALIAS("Sluice", sweep, Sluice_sweep, arginfo_Sluice_sweep)
	ZEND_NS_FALIAS("Sluice", recreate_segment, Sluice_recreate_segment, arginfo_Sluice_recreate_segment)
	ZEND_NS_FALIAS("Sluice", ticket_set_ref, Sluice_ticket_set_ref, arginfo_Sluice_ticket_set_ref)
	ZEND_NS_FALIAS("Sluice", ticket_cancel, Sluice_ticket_cancel, arginfo_Sluice_ticket_cancel)
	ZEND_NS_FALIAS("Sluice", take_wakes, Sluice_take_wakes, arginfo_Sluice_take_wakes)
	ZEND_NS_FALIAS("Sluice", wake_missed, Sluice_wake_missed, arginfo_Sluice_wake_missed)
	ZEND_NS_FALIAS("Sluice", take_stranded, Sluice_take_stranded, arginfo_Sluice_take_stranded)
	ZEND_NS_FALIAS("Sluice", ack_stranded, Sluice_ack_stranded, arginfo_Sluice_ack_stranded)
	ZEND_NS_FALIAS("Sluice", return_stranded, Sluice_return_stranded, arginfo_Sluice_return_stranded)
	ZEND_NS_FALIAS("Sluice", key_record, Sluice_key_record, arginfo_Sluice_key_record)
	ZEND_NS_FALIAS("Sluice", key_record_cas, Sluice_key_record_cas, arginfo_Sluice_key_record_cas)
	ZEND_NS_FALIAS("Sluice", bucket_adjust, Sluice_bucket_adjust, arginfo_Sluice_bucket_adjust)
	ZEND_NS_FALIAS("Sluice", bucket_observe, Sluice_bucket_observe, arginfo_Sluice_bucket_observe)
	ZEND_NS_FALIAS("Sluice", window_add, Sluice_window_add, arginfo_Sluice_window_add)
	ZEND_NS_FALIAS("Sluice", key_rates, Sluice_key_rates, arginfo_Sluice_key_rates)
	ZEND_NS_FALIAS("Sluice", line, Sluice_line, arginfo_Sluice_line)
	ZEND_NS_FALIAS("Sluice\\Testing", park_next_acquire_in_critical_section, Sluice_Testing_park_next_acquire_in_critical_section, arginfo_Sluice_Testing_park_next_acquire_in_critical_section)
	ZEND_FE_END
};


static const zend_function_entry class_Sluice_Limiter_methods[] = {
	ZEND_ME(Sluice_Limiter, __construct, arginfo_class_Sluice_Limiter___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Limiter, tryAcquire, arginfo_class_Sluice_Limiter_tryAcquire, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Limiter, acquire, arginfo_class_Sluice_Limiter_acquire, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Limiter, lastRefusal, arginfo_class_Sluice_Limiter_lastRefusal, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Limiter, tryAcquireFor, arginfo_class_Sluice_Limiter_tryAcquireFor, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Limiter, enqueue, arginfo_class_Sluice_Limiter_enqueue, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Limiter, limits, arginfo_class_Sluice_Limiter_limits, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Limiter, ttl, arginfo_class_Sluice_Limiter_ttl, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Sluice_Lease_methods[] = {
	ZEND_ME(Sluice_Lease, __construct, arginfo_class_Sluice_Lease___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(Sluice_Lease, token, arginfo_class_Sluice_Lease_token, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Lease, release, arginfo_class_Sluice_Lease_release, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Lease, renew, arginfo_class_Sluice_Lease_renew, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Lease, isHeld, arginfo_class_Sluice_Lease_isHeld, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Lease, requestStarted, arginfo_class_Sluice_Lease_requestStarted, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Lease, requestFinished, arginfo_class_Sluice_Lease_requestFinished, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Lease, keys, arginfo_class_Sluice_Lease_keys, ZEND_ACC_PUBLIC)
	ZEND_ME(Sluice_Lease, waitedMs, arginfo_class_Sluice_Lease_waitedMs, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Sluice_Exception_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Sluice_SegmentException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Sluice_CapacityException_methods[] = {
	ZEND_FE_END
};

static void register_sluice_symbols(int module_number)
{
	REGISTER_LONG_CONSTANT("Sluice\\LAYOUT_VERSION", SLUICE_LAYOUT_VERSION, CONST_PERSISTENT);
}

static zend_class_entry *register_class_Sluice_Limiter(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Sluice", "Limiter", class_Sluice_Limiter_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}

static zend_class_entry *register_class_Sluice_Lease(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Sluice", "Lease", class_Sluice_Lease_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}

static zend_class_entry *register_class_Sluice_Exception(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Sluice", "Exception", class_Sluice_Exception_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	return class_entry;
}

static zend_class_entry *register_class_Sluice_SegmentException(zend_class_entry *class_entry_Sluice_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Sluice", "SegmentException", class_Sluice_SegmentException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Sluice_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Sluice_CapacityException(zend_class_entry *class_entry_Sluice_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Sluice", "CapacityException", class_Sluice_CapacityException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Sluice_Exception);

	return class_entry;
}

/**
 * TEST-ONLY payload key ring. Committed on purpose: histories recorded by the tests are encrypted with
 * it, and test/replay must decrypt them on any machine, CI included. It protects nothing; never use it
 * outside tests (vitest.config.ts sets it as PAYLOAD_KEYS for the test processes only).
 */
export const TEST_ONLY_PAYLOAD_KEYS = 'TEST-ONLY-not-secret:hvkkCjDMvKUzsx6jd0FiD0iGKn15T3Dh0xhJCu3A4OE=';

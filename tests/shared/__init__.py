"""Helpers of one topic that both its unit part (tests/unit/) and its end-to-end part
(tests/e2e/) use. Helpers for every topic are in tests/support.py."""

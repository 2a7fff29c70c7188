"""Validation of parsed sheets with the Great Expectations suites in expectations/."""

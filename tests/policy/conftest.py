"""Shared helpers for the policy-pack tests live in harness.py; this file only makes them importable."""

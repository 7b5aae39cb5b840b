"""Signing in and out of the pages."""

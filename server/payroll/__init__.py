"""Payroll: batches of approved entries, pay settings, and the export files."""

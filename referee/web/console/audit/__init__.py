"""The console's Audit tab: the call's audit events, newest first, filterable."""

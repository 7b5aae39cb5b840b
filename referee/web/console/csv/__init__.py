"""The console's CSV page: a call's assignments and affinity matrix exported as CSV, and manual
assignments imported from a CSV file (a preview of every row, then all or nothing)."""

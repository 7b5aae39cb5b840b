"""The console's Overview tab: how far the call's round has come, and a chart of answers and
submitted reviews over time."""

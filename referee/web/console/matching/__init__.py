"""The console's Matching tab (issue 13): configurations, affinities, conflict detection and the
conflicts of a call."""

"""The console's Reviews tab: each proposal's progress towards the reviews it needs, and the
reviews past their deadline."""

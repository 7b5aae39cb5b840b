"""The console's Batches tab: the call's assignment batches with the API's filters and ordering,
their items, the batch actions (send, cancel, extend the deadline) and, for an item that needs
another reviewer, its ranked alternatives and reassign."""

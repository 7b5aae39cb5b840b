"""The console's Assignments tab (issue 13): generate a preview with the algorithm chosen, read
why each pair was chosen, compare the algorithms, edit the preview, deploy it, undo it, send."""

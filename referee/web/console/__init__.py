"""The call manager's console (issue 13): `/manage/` lists the calls a user manages, and
`/call/<uuid>/manage/?tab=<key>` shows one call through the tabs each sub-package registers
(`tabs.register`). Same layering as the reviewer pages: views load through `visible_to`, check a
predicate (`access`), call one domain function, render."""

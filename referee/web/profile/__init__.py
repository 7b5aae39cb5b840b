"""My profile (issue 12): the reviewer's own profile and its nested rows, as the profile API allows."""

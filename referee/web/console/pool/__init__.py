"""The console's Pool tab: find and invite reviewers, follow their invitations, resend, force-accept,
and see each reviewer's open load against their maximum."""

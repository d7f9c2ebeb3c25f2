"""The partner API: bearer-token authentication, memberships and events."""

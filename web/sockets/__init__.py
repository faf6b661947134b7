"""Socket.IO namespaces."""

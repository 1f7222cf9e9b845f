"""The write path: the bulk loader, its text encoder, pipe streaming, checksums and the
offline SQL renderer."""

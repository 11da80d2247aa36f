"""Lightning IR."""

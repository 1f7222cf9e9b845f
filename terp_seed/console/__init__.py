"""What a person sees: user-facing output, progress and JSON logs."""

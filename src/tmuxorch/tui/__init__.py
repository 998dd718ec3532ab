"""The Textual TUI. It holds only a Backend, so local and remote fleets look the same."""

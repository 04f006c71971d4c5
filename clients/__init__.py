"""Azure and HTTP clients with safe defaults, and the helpers every part shares: errors, deadlines, redaction."""
